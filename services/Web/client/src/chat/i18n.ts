// The widget's words in English and Chinese, chosen by the browser's language.

const en = {
  title: 'Chat with us',
  subtitle: 'We usually reply in a few minutes',
  open: 'Open chat',
  close: 'Close chat',
  placeholder: 'Type a message…',
  send: 'Send',
  typing: 'is typing…',
  agentTyping: 'Agent is typing…',
  queued: (n: number) => `You are number ${n} in the queue`,
  routing: 'Finding an agent for you…',
  assigned: (name: string) => `${name} joined the conversation`,
  ended: 'This conversation has ended',
  earlier: 'Earlier conversation',
  read: 'Read',
  sent: 'Sent',
  sending: 'Sending…',
  failed: 'Not sent',
  retry: 'Retry',
  discard: 'Discard',
  connecting: 'Connecting…',
  reconnecting: 'Connection lost, reconnecting…',
  offline: 'Chat is not available right now',
  endChat: 'End chat',
  welcome: 'Hi! Ask us anything.',
  you: 'You',
  agent: 'Agent',
  bot: 'Assistant',
  system: 'System',
};

const zh: typeof en = {
  title: '在线客服',
  subtitle: '我们通常几分钟内回复',
  open: '打开聊天',
  close: '关闭聊天',
  placeholder: '输入消息…',
  send: '发送',
  typing: '正在输入…',
  agentTyping: '客服正在输入…',
  queued: (n: number) => `您前面还有 ${n - 1} 位，当前排第 ${n} 位`,
  routing: '正在为您分配客服…',
  assigned: (name: string) => `客服 ${name} 已接入`,
  ended: '会话已结束',
  earlier: '历史会话',
  read: '已读',
  sent: '已发送',
  sending: '发送中…',
  failed: '发送失败',
  retry: '重试',
  discard: '删除',
  connecting: '连接中…',
  reconnecting: '连接已断开，正在重连…',
  offline: '暂时无法连接客服',
  endChat: '结束会话',
  welcome: '您好！有什么可以帮您？',
  you: '我',
  agent: '客服',
  bot: '智能助手',
  system: '系统',
};

export type Words = typeof en;

export function languageOf(nav: { language?: string; languages?: readonly string[] } = navigator): 'zh' | 'en' {
  const tag = (nav.languages?.[0] ?? nav.language ?? 'en').toLowerCase();
  return tag.startsWith('zh') ? 'zh' : 'en';
}

export function wordsFor(language: 'zh' | 'en'): Words {
  return language === 'zh' ? zh : en;
}
