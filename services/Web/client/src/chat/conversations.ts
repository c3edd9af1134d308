import type {
  AgentStatus, ChatMessage, ClientFrame, ConversationSnapshot, ConversationStateName, CustomerContext, Sender, ServerFrame,
} from './protocol';
import { newClientId } from './protocol';

/** A message written here and not yet acknowledged: it is resent, with the same client id, until it is. */
export interface PendingMessage {
  clientId: string;
  text: string;
  conversationId?: string;
  createdAt: number;
  error?: string;
}

export interface Conversation {
  id: string;
  state: ConversationStateName;
  customer?: { id: string; name?: string };
  agent?: { id: string; name?: string };
  skillGroup?: string;
  customerContext?: CustomerContext;
  /** One entry per seq: a message that arrives twice (resume and live delivery) is kept once. */
  messages: Map<number, ChatMessage>;
  lastSeq: number;
  queuePosition?: number;
  /** The other side is typing, until this time (ms). */
  peerTypingUntil: number;
  /** The highest seq the other side has read. */
  peerReadSeq: number;
  /** The highest seq this side has reported read. */
  readSeq: number;
  /** Order of first appearance, for stable lists. */
  openedAt: number;
}

export interface ConversationsOptions {
  /** Who this side is: messages of this sender are "mine", the rest count as unread. */
  me: () => string | undefined;
  /** Whether this side is a customer (customers may omit the conversation id). */
  customer: boolean;
  /** Unacked messages kept across page loads (the widget) or only in memory (the console). */
  store?: { load(): PendingMessage[]; save(outbox: PendingMessage[]): void };
  now?: () => number;
}

export type ConversationEvent =
  | { kind: 'message'; message: ChatMessage; mine: boolean }
  | { kind: 'assigned'; conversationId: string }
  | { kind: 'ended'; conversationId: string }
  | { kind: 'rejected'; clientId: string; code: string; message: string }
  | { kind: 'error'; code: string; message: string };

const TypingShownFor = 6000;

/**
 * The client's view of its conversations, fed by server frames: it merges welcome, resume and live frames
 * into one ordered transcript per conversation and owns the outbox of unacknowledged messages.
 */
export class Conversations {
  readonly byId = new Map<string, Conversation>();
  outbox: PendingMessage[];
  private readonly now: () => number;
  private readonly listeners = new Set<(event?: ConversationEvent) => void>();
  private opened = 0;

  constructor(private readonly options: ConversationsOptions) {
    this.now = options.now ?? Date.now;
    this.outbox = options.store?.load() ?? [];
  }

  subscribe(listener: (event?: ConversationEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /**
   * Frames to send right after a socket opens: hello, a resume per known conversation, then the outbox again. The hello
   * turns the echo of this socket's own messages off: the ack already puts them in place (docs/protocol.md, "Echo").
   */
  framesOnConnect(status?: AgentStatus): ClientFrame[] {
    const frames: ClientFrame[] = [status ? { type: 'hello', status, echo: false } : { type: 'hello', echo: false }];
    for (const c of this.byId.values())
      if (c.lastSeq > 0 && c.state !== 'ended') frames.push({ type: 'resume', conversationId: c.id, lastSeq: c.lastSeq });
    for (const p of this.outbox) if (!p.error) frames.push(this.frameOf(p));
    return frames;
  }

  /** Queues a message and returns the frame to send (the same frame is sent again after a reconnect until acked). */
  write(text: string, conversationId?: string, extra?: { entryPage?: string; language?: string }): ClientFrame {
    const pending: PendingMessage = { clientId: newClientId(), text, conversationId, createdAt: this.now() };
    this.outbox = [...this.outbox, pending];
    this.persist();
    this.changed();
    return { ...this.frameOf(pending), ...extra };
  }

  /** Takes a failed message out of the outbox (the person chose to drop it) or gives it another try. */
  retry(clientId: string): ClientFrame | undefined {
    const pending = this.outbox.find(p => p.clientId === clientId);
    if (!pending) return undefined;
    delete pending.error;
    this.outbox = [...this.outbox];
    this.persist();
    this.changed();
    return this.frameOf(pending);
  }

  discard(clientId: string): void {
    this.outbox = this.outbox.filter(p => p.clientId !== clientId);
    this.persist();
    this.changed();
  }

  /** The customer's open conversation, if any: the most recently opened that has not ended. */
  current(): Conversation | undefined {
    let found: Conversation | undefined;
    for (const c of this.byId.values()) if (c.state !== 'ended' && (!found || c.openedAt > found.openedAt)) found = c;
    return found;
  }

  /** Conversations oldest first. */
  list(): Conversation[] {
    return [...this.byId.values()].sort((a, b) => a.openedAt - b.openedAt);
  }

  messagesOf(c: Conversation): ChatMessage[] {
    return [...c.messages.values()].sort((a, b) => a.seq - b.seq);
  }

  pendingFor(conversationId: string | undefined): PendingMessage[] {
    return this.outbox.filter(p => p.conversationId === conversationId || (!p.conversationId && this.options.customer));
  }

  isMine(sender: Sender): boolean {
    const me = this.options.me();
    return me !== undefined && sender.id === me;
  }

  /** Messages of the other side this side has not reported read. */
  unread(c: Conversation): number {
    let n = 0;
    for (const m of c.messages.values()) if (m.seq > c.readSeq && !this.isMine(m.sender) && m.sender.kind !== 'system') n++;
    return n;
  }

  /** The read receipt to send when the person sees the conversation, or nothing when there is nothing new. */
  markRead(conversationId: string): ClientFrame | undefined {
    const c = this.byId.get(conversationId);
    if (!c || c.lastSeq <= c.readSeq) return undefined;
    c.readSeq = c.lastSeq;
    this.changed();
    return { type: 'read', conversationId, seq: c.lastSeq };
  }

  peerTyping(c: Conversation): boolean {
    return c.peerTypingUntil > this.now();
  }

  /** Older messages read from the history API when scrolling back. */
  addHistory(conversationId: string, messages: ChatMessage[]): void {
    const c = this.byId.get(conversationId);
    if (!c) return;
    for (const m of messages) if (!c.messages.has(m.seq)) c.messages.set(m.seq, m);
    this.changed();
  }

  apply(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome':
        for (const snapshot of frame.conversations) this.merge(snapshot);
        this.changed();
        break;
      case 'conversation':
        this.merge(frame);
        this.changed({ kind: 'assigned', conversationId: frame.conversationId });
        break;
      case 'ack': {
        const pending = this.outbox.find(p => p.clientId === frame.clientId);
        const c = this.ensure(frame.conversationId);
        if (pending && !c.messages.has(frame.seq)) {
          const me = this.options.me() ?? '';
          c.messages.set(frame.seq, {
            conversationId: c.id, seq: frame.seq, clientId: pending.clientId, text: pending.text, sentAt: pending.createdAt,
            sender: { kind: this.options.customer ? 'customer' : 'agent', id: me },
          });
        }
        this.raiseLastSeq(c, frame.seq);
        this.removePending(frame.clientId);
        this.changed();
        break;
      }
      case 'message': {
        const { type: _, ...message } = frame;
        const c = this.ensure(message.conversationId);
        const isNew = !c.messages.has(message.seq);
        c.messages.set(message.seq, message);
        this.raiseLastSeq(c, message.seq);
        if (message.sender.kind !== 'customer' || !this.options.customer) c.peerTypingUntil = 0;
        this.removePending(message.clientId);
        const mine = this.isMine(message.sender);
        if (mine) c.readSeq = Math.max(c.readSeq, message.seq);
        this.changed(isNew ? { kind: 'message', message, mine } : undefined);
        break;
      }
      case 'typing': {
        if (this.isMine(frame.sender)) break;
        const c = this.ensure(frame.conversationId);
        c.peerTypingUntil = frame.on ? this.now() + TypingShownFor : 0;
        this.changed();
        break;
      }
      case 'read': {
        if (this.isMine(frame.sender)) break;
        const c = this.ensure(frame.conversationId);
        c.peerReadSeq = Math.max(c.peerReadSeq, frame.seq);
        this.changed();
        break;
      }
      case 'assigned': {
        const c = this.ensure(frame.conversationId);
        c.agent = frame.agent;
        c.skillGroup = frame.skillGroup ?? c.skillGroup;
        if (frame.customer) c.customer = frame.customer;
        c.queuePosition = undefined;
        if (c.state !== 'active') c.state = 'assigned';
        this.changed({ kind: 'assigned', conversationId: c.id });
        break;
      }
      case 'context': {
        this.ensure(frame.conversationId).customerContext = frame.context;
        this.changed();
        break;
      }
      case 'queue': {
        const c = this.ensure(frame.conversationId);
        c.queuePosition = frame.position;
        if (c.state === 'new' || c.state === 'bot') c.state = 'queued';
        this.changed();
        break;
      }
      case 'state': {
        const c = this.ensure(frame.conversationId);
        c.state = frame.state;
        if (frame.state !== 'queued') c.queuePosition = undefined;
        this.changed(frame.state === 'ended' ? { kind: 'ended', conversationId: c.id } : undefined);
        break;
      }
      case 'error':
        this.rejected(frame.code, frame.message, frame.clientId);
        break;
      case 'pong':
        break;
    }
  }

  private rejected(code: string, message: string, clientId?: string): void {
    const pending = clientId ? this.outbox.find(p => p.clientId === clientId) : undefined;
    if (!pending) {
      this.changed({ kind: 'error', code, message });
      return;
    }
    pending.error = `${code}: ${message}`;
    this.outbox = [...this.outbox];
    this.persist();
    this.changed({ kind: 'rejected', clientId: pending.clientId, code, message });
  }

  private merge(snapshot: ConversationSnapshot): void {
    const c = this.ensure(snapshot.conversationId);
    c.state = snapshot.state;
    c.customer = snapshot.customer ?? c.customer;
    c.agent = snapshot.agent ?? c.agent;
    c.skillGroup = snapshot.skillGroup ?? c.skillGroup;
    c.customerContext = snapshot.context ?? c.customerContext;
    for (const m of snapshot.messages ?? []) {
      c.messages.set(m.seq, m);
      this.removePending(m.clientId);
      if (this.isMine(m.sender)) c.readSeq = Math.max(c.readSeq, m.seq);
    }
    this.raiseLastSeq(c, snapshot.lastSeq ?? 0);
    for (const m of snapshot.messages ?? []) this.raiseLastSeq(c, m.seq);
  }

  private ensure(id: string): Conversation {
    let c = this.byId.get(id);
    if (!c) {
      c = {
        id, state: 'new', messages: new Map(), lastSeq: 0, peerTypingUntil: 0, peerReadSeq: 0, readSeq: 0, openedAt: ++this.opened,
      };
      this.byId.set(id, c);
    }
    return c;
  }

  private raiseLastSeq(c: Conversation, seq: number): void {
    if (seq > c.lastSeq) c.lastSeq = seq;
  }

  private removePending(clientId: string): void {
    if (!this.outbox.some(p => p.clientId === clientId)) return;
    this.outbox = this.outbox.filter(p => p.clientId !== clientId);
    this.persist();
  }

  private frameOf(p: PendingMessage): ClientFrame {
    // A customer whose conversation ended writes into a new one: the server opens it when the id is omitted.
    const known = p.conversationId ? this.byId.get(p.conversationId) : undefined;
    const conversationId = this.options.customer && known?.state === 'ended' ? undefined : p.conversationId;
    return conversationId ? { type: 'message', clientId: p.clientId, text: p.text, conversationId } : { type: 'message', clientId: p.clientId, text: p.text };
  }

  private persist(): void {
    this.options.store?.save(this.outbox);
  }

  private changed(event?: ConversationEvent): void {
    for (const l of this.listeners) l(event);
  }
}
