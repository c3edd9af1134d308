import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { Conversation, PendingMessage } from '../chat/conversations';
import type { ChatMessage } from '../chat/protocol';
import type { Words } from '../chat/i18n';
import type { CustomerChat } from './customerChat';

interface Props {
  chat: CustomerChat;
  words: Words;
  /** The widget's panel can be closed back to the bubble; the H5 page cannot. */
  onClose?: () => void;
  visible: boolean;
}

/** Re-renders on every change of the conversations or the link, and once a second while someone types. */
function useChat(chat: CustomerChat): void {
  const [, refresh] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const offConversations = chat.conversations.subscribe(() => refresh(0));
    const offLink = chat.onLink(() => refresh(0));
    const tick = setInterval(() => {
      const current = chat.conversations.current();
      if (current && current.peerTypingUntil > 0) refresh(0);
    }, 1000);
    return () => { offConversations(); offLink(); clearInterval(tick); };
  }, [chat]);
}

export function ChatPanel({ chat, words, onClose, visible }: Props) {
  useChat(chat);
  const [draft, setDraft] = useState('');
  const list = useRef<HTMLDivElement>(null);
  const conversations = chat.conversations.list();
  const current = chat.conversations.current();
  const pending = chat.conversations.outbox;
  const lastMessages = current ? chat.conversations.messagesOf(current) : [];
  const last = lastMessages[lastMessages.length - 1];
  const quickReplies = last?.sender.kind === 'bot' ? last.quickReplies ?? [] : [];
  const count = conversations.reduce((n, c) => n + c.messages.size, 0) + pending.length;

  useLayoutEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [count, visible, current?.queuePosition]);

  useEffect(() => {
    if (!visible) return;
    const seen = () => { if (document.visibilityState === 'visible') chat.seen(); };
    seen();
    document.addEventListener('visibilitychange', seen);
    return () => document.removeEventListener('visibilitychange', seen);
  }, [chat, visible, count]);

  const submit = (e: Event) => {
    e.preventDefault();
    chat.send(draft);
    setDraft('');
  };

  return (
    <section class="panel" role="dialog" aria-label={words.title} data-testid="chat-panel">
      <header class="head">
        <div>
          <h2>{words.title}</h2>
          <p>{current?.agent ? current.agent.name ?? words.agent : words.subtitle}</p>
        </div>
        <div class="head-actions">
          {current && current.state !== 'ended' && (
            <button type="button" class="link" onClick={() => chat.end()} data-testid="end-chat">{words.endChat}</button>
          )}
          {onClose && <button type="button" class="close" aria-label={words.close} onClick={onClose}>×</button>}
        </div>
      </header>
      <LinkBanner chat={chat} words={words} />
      <div class="messages" ref={list} data-testid="messages" aria-live="polite">
        <p class="system">{words.welcome}</p>
        {conversations.map(c => (
          <ConversationView key={c.id} chat={chat} conversation={c} words={words} />
        ))}
        {pending.map(p => <PendingView key={p.clientId} pending={p} chat={chat} words={words} />)}
        {current && chat.conversations.peerTyping(current) && <p class="typing" data-testid="typing">{words.agentTyping}</p>}
        {current?.queuePosition !== undefined && (
          <p class="queue" data-testid="queue">{current.queuePosition > 0 ? words.queued(current.queuePosition) : words.routing}</p>
        )}
      </div>
      {quickReplies.length > 0 && (
        <div class="quick" data-testid="quick-replies">
          {quickReplies.map(q => (
            <button type="button" key={q.payload} onClick={() => chat.send(q.payload)}>{q.title}</button>
          ))}
        </div>
      )}
      <form class="composer" onSubmit={submit}>
        <textarea
          rows={1}
          value={draft}
          placeholder={words.placeholder}
          aria-label={words.placeholder}
          maxLength={4000}
          data-testid="composer"
          onInput={e => { setDraft((e.target as HTMLTextAreaElement).value); chat.typing(); }}
          onKeyDown={e => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) submit(e); }}
        />
        <button type="submit" disabled={!draft.trim()} data-testid="send">{words.send}</button>
      </form>
    </section>
  );
}

function LinkBanner({ chat, words }: { chat: CustomerChat; words: Words }) {
  if (chat.link === 'open' || chat.link === 'closed' || chat.link === 'revoked') return null;
  return <p class="banner" data-testid="link">{chat.link === 'connecting' ? words.connecting : words.reconnecting}</p>;
}

function ConversationView({ chat, conversation, words }: { chat: CustomerChat; conversation: Conversation; words: Words }) {
  const messages = chat.conversations.messagesOf(conversation);
  const ended = conversation.state === 'ended';
  return (
    <div class={ended ? 'conversation ended' : 'conversation'} data-conversation={conversation.id}>
      {messages.map(m => (
        <Bubble key={m.seq} message={m} mine={chat.conversations.isMine(m.sender)} read={m.seq <= conversation.peerReadSeq} words={words} />
      ))}
      {conversation.agent && !ended && <p class="system">{words.assigned(conversation.agent.name ?? conversation.agent.id)}</p>}
      {ended && <p class="system divider" data-testid="ended">{words.ended}</p>}
    </div>
  );
}

function senderLabel(m: ChatMessage, words: Words): string {
  if (m.sender.kind === 'bot') return m.sender.name ?? words.bot;
  if (m.sender.kind === 'system') return words.system;
  return m.sender.name ?? words.agent;
}

function Bubble({ message, mine, read, words }: { message: ChatMessage; mine: boolean; read: boolean; words: Words }) {
  // Text is only ever a text node: whatever a customer or agent typed is shown, never interpreted.
  return (
    <div class={mine ? 'msg mine' : `msg theirs ${message.sender.kind}`} data-seq={message.seq} data-testid="message">
      {!mine && <span class="who">{senderLabel(message, words)}</span>}
      <p class="text">{message.text}</p>
      <span class="meta">
        {new Date(message.sentAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}
        {mine && <span class="status" data-testid="status">{read ? ` · ${words.read}` : ` · ${words.sent}`}</span>}
      </span>
    </div>
  );
}

function PendingView({ pending, chat, words }: { pending: PendingMessage; chat: CustomerChat; words: Words }) {
  return (
    <div class={pending.error ? 'msg mine failed' : 'msg mine pending'} data-testid="message">
      <p class="text">{pending.text}</p>
      <span class="meta">
        {pending.error ? (
          <>
            <span title={pending.error}>{words.failed}</span>{' '}
            <button type="button" class="link" onClick={() => chat.retry(pending.clientId)}>{words.retry}</button>{' '}
            <button type="button" class="link" onClick={() => chat.conversations.discard(pending.clientId)}>{words.discard}</button>
          </>
        ) : words.sending}
      </span>
    </div>
  );
}
