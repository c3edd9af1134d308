// The chat socket's frames, as docs/protocol.md describes them.

export type SenderKind = 'customer' | 'agent' | 'bot' | 'system';
export type ConversationStateName = 'new' | 'bot' | 'queued' | 'assigned' | 'active' | 'transferred' | 'ended';
export type AgentStatus = 'online' | 'away' | 'offline';

export interface Sender { kind: SenderKind; id: string; name?: string }
export interface QuickReply { title: string; payload: string }

export interface ChatMessage {
  conversationId: string;
  seq: number;
  clientId: string;
  sender: Sender;
  text: string;
  sentAt: number;
  quickReplies?: QuickReply[];
  metadata?: Record<string, string>;
}

/** Whether a legacy system answered: live, from the adapter's cache, or not at all (with the reason). */
export type SourceStatus = 'live' | 'cached' | 'unavailable';

export interface CustomerProfile {
  status: SourceStatus; reason?: string;
  name?: string; phone?: string; email?: string; tier?: string;
  attributes?: Record<string, string>;
}

export interface Order {
  orderId: string; status: string; amountCents: number; currency: string; createdAt: number; items: string[];
}

/** What the CRM and the order system know of the customer (agents only: `context` frames). */
export interface CustomerContext {
  profile?: CustomerProfile;
  orders?: { status: SourceStatus; reason?: string; orders: Order[] };
}

export interface ConversationSnapshot {
  conversationId: string;
  state: ConversationStateName;
  lastSeq: number;
  customer: { id: string; name?: string };
  agent?: { id: string; name?: string };
  skillGroup?: string;
  messages: ChatMessage[];
  context?: CustomerContext;
}

export type ServerFrame =
  | { type: 'welcome'; role: string; userId: string; tenant: string; replica: string; conversations: ConversationSnapshot[] }
  | ({ type: 'conversation' } & ConversationSnapshot)
  | { type: 'ack'; conversationId: string; clientId: string; seq: number; duplicate: boolean }
  | ({ type: 'message' } & ChatMessage)
  | { type: 'typing'; conversationId: string; sender: Sender; on: boolean }
  | { type: 'read'; conversationId: string; sender: Sender; seq: number }
  | { type: 'assigned'; conversationId: string; agent: { id: string; name?: string }; skillGroup?: string; customer?: { id: string; name?: string } }
  | { type: 'context'; conversationId: string; context: CustomerContext }
  | { type: 'queue'; conversationId: string; position: number }
  | { type: 'state'; conversationId: string; state: ConversationStateName; reason?: string }
  | { type: 'error'; code: string; message: string; clientId?: string }
  | { type: 'pong' };

export type ClientFrame =
  | { type: 'hello'; status?: AgentStatus; echo?: boolean }
  | { type: 'resume'; conversationId: string; lastSeq: number }
  | { type: 'message'; clientId: string; text: string; conversationId?: string; entryPage?: string; language?: string }
  | { type: 'typing'; conversationId: string; on: boolean }
  | { type: 'read'; conversationId: string; seq: number }
  | { type: 'presence'; status: AgentStatus }
  | { type: 'transfer'; conversationId: string; toAgent?: string; toGroup?: string }
  | { type: 'end'; conversationId: string; reason?: string }
  | { type: 'ping' };

/** A client id unique per message: the server keeps one message per client id, so resending is safe. */
export function newClientId(): string {
  const bytes = new Uint8Array(12);
  crypto.getRandomValues(bytes);
  return 'c' + Array.from(bytes, b => b.toString(16).padStart(2, '0')).join('');
}
