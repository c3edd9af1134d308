import { Conversations, type Conversation } from '../chat/conversations';
import type { AgentStatus, ChatMessage, ClientFrame } from '../chat/protocol';
import { ChatSocket, socketAddress, type LinkState } from '../chat/socket';
import { ApiError, call, type StaffSession } from '../shared/staff';
import { Notifier } from './notifier';
import { QueueRefreshMs, type QueueView, type RosterEntry, type RosterView } from './queue';
import { Tickets, type TicketDraft, type TicketFieldErrors, type TicketRequestFrame } from './tickets';

export interface CannedReply { group: string; reply: { shortcut: string; title?: string; text: string } }

interface TranscriptPage { messages: HistoryMessage[]; nextBefore: number | null }
interface HistoryMessage {
  conversationId: string; seq: number; messageId: string; senderKind: ChatMessage['sender']['kind'];
  senderId: string; senderName: string; text: string; sentAt: string; quickReplies?: { title: string; payload: string }[];
}

/** Whether a console feature's API answered, and if not, what to tell the agent. */
export type Availability = { ok: true } | { ok: false; reason: string };

const TypingRefresh = 3000;
const StatusKey = 'cs-agent-status';

/** The agent's side: their socket, status, conversations, and the HTTP APIs the console reads. */
export class AgentDesk {
  readonly conversations: Conversations;
  readonly socket: ChatSocket;
  readonly notifier = new Notifier();
  readonly tickets = new Tickets();
  /** Kept per tab, so a reload reconnects with the status the agent chose. */
  status: AgentStatus = (sessionStorage.getItem(StatusKey) as AgentStatus | null) ?? 'online';
  link: LinkState = 'closed';
  me?: string;
  selected?: string;
  /** Per conversation: the seq before which the history API has more, or null once the beginning is reached. */
  readonly olderBefore = new Map<string, number | null>();
  history: Availability = { ok: true };
  /** The last frame the server refused (a failed transfer, say), until the agent dismisses it. */
  notice?: string;
  /** The conversations waiting in the agent's queues (Routing's desk API, polled), and when that answer came. */
  queue: { view?: QueueView; receivedAt: number; availability: Availability } = { receivedAt: 0, availability: { ok: true } };
  private queueTimer?: ReturnType<typeof setInterval>;
  private readonly listeners = new Set<() => void>();
  private typingSentAt = new Map<string, number>();

  /**
   * @param signedOut called once when the platform no longer takes this sign-in (the socket closed with 4401, an
   * API answered 401): an admin changed the account, or it signed out elsewhere. The console asks to sign in again.
   */
  constructor(readonly session: StaffSession, private readonly signedOut: (reason: string) => void = () => {}) {
    this.conversations = new Conversations({ me: () => this.me, customer: false });
    this.socket = new ChatSocket({
      address: async () => socketAddress(location.origin, '/ws/agent', session.accessToken),
      onOpen: () => [...this.conversations.framesOnConnect(this.status), ...this.tickets.unanswered().map(asClientFrame)],
      onFrame: frame => {
        if (frame.type === 'welcome') this.me = frame.userId;
        // Ticket frames, and refusals naming a ticket's clientId, belong to the ticket's status, not the notice.
        if (this.tickets.apply(frame)) return;
        this.conversations.apply(frame);
      },
      onState: state => {
        this.link = state;
        if (state === 'revoked') this.revoked('Your sign-in was revoked (your account was changed, or it signed out elsewhere). Sign in again.');
        this.changed();
      },
    });
    this.tickets.subscribe(() => this.changed());
    this.conversations.subscribe(event => {
      if (event?.kind === 'message' && !event.mine && event.message.sender.kind === 'customer') {
        const hidden = document.visibilityState !== 'visible';
        if (hidden || event.message.conversationId !== this.selected) this.notifier.newMessage(event.message.sender.name ?? event.message.sender.id);
        if (!hidden && event.message.conversationId === this.selected) this.seen(this.selected);
      }
      if (event?.kind === 'assigned' && !this.selected) this.selected = event.conversationId;
      if (event?.kind === 'error') this.notice = `${event.code}: ${event.message}`;
      this.changed();
    });
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  start(): void {
    this.socket.start();
    void this.refreshQueue();
    this.queueTimer = setInterval(() => void this.refreshQueue(), QueueRefreshMs);
  }

  stop(): void {
    clearInterval(this.queueTimer);
    this.socket.send({ type: 'presence', status: 'offline' });
    this.socket.stop();
  }

  /** Asks Routing for the queue (agents: their skill groups; supervisors and admins: every group). */
  async refreshQueue(): Promise<void> {
    try {
      const view = await call<QueueView>(this.session, '/api/routing/queue?limit=50');
      this.queue = { view, receivedAt: Date.now(), availability: { ok: true } };
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) this.revoked(`Your sign-in is no longer valid (${e.message}). Sign in again.`);
      this.queue = { ...this.queue, availability: { ok: false, reason: unavailable('Queue', e) } };
    }
    this.changed();
  }

  private isRevoked = false;

  private revoked(reason: string): void {
    if (this.isRevoked) return;
    this.isRevoked = true;
    clearInterval(this.queueTimer);
    this.socket.stop();
    this.signedOut(reason);
  }

  setStatus(status: AgentStatus): void {
    this.status = status;
    sessionStorage.setItem(StatusKey, status);
    this.socket.send({ type: 'presence', status });
    this.changed();
  }

  select(conversationId: string): void {
    this.selected = conversationId;
    this.seen(conversationId);
    this.changed();
  }

  /** Conversations the agent holds now, and those that left them (ended, or transferred to someone else). */
  mine(): { open: Conversation[]; closed: Conversation[] } {
    const open: Conversation[] = [], closed: Conversation[] = [];
    for (const c of this.conversations.list().reverse()) {
      const elsewhere = c.agent !== undefined && this.me !== undefined && c.agent.id !== this.me;
      (c.state === 'ended' || elsewhere ? closed : open).push(c);
    }
    return { open, closed };
  }

  send(conversationId: string, text: string): void {
    const body = text.trim();
    if (!body) return;
    this.typingSentAt.delete(conversationId);
    this.socket.send(this.conversations.write(body, conversationId));
  }

  retry(clientId: string): void {
    const frame = this.conversations.retry(clientId);
    if (frame) this.socket.send(frame);
  }

  typing(conversationId: string): void {
    const now = Date.now();
    if (now - (this.typingSentAt.get(conversationId) ?? 0) < TypingRefresh) return;
    this.typingSentAt.set(conversationId, now);
    this.socket.send({ type: 'typing', conversationId, on: true });
  }

  seen(conversationId: string): void {
    if (document.visibilityState !== 'visible') return;
    const frame = this.conversations.markRead(conversationId);
    if (frame) this.socket.send(frame);
  }

  transfer(conversationId: string, to: { agent?: string; group?: string }): void {
    this.socket.send({ type: 'transfer', conversationId, toAgent: to.agent || undefined, toGroup: to.group || undefined });
  }

  /** Raises a ticket (客服转工单) for the conversation: the draft's errors, or nothing once the frame is sent. */
  raiseTicket(conversationId: string, draft: TicketDraft): TicketFieldErrors | undefined {
    const raised = this.tickets.raise(conversationId, draft);
    if ('errors' in raised) return raised.errors;
    if (!this.socket.send(asClientFrame(raised.frame))) this.tickets.notSent(raised.frame.clientId);
    return undefined;
  }

  retryTicket(clientId: string): void {
    const frame = this.tickets.retry(clientId);
    if (frame && !this.socket.send(asClientFrame(frame))) this.tickets.notSent(clientId);
  }

  end(conversationId: string): void {
    this.socket.send({ type: 'end', conversationId, reason: 'resolved' });
  }

  /** Scrolls back: the page of messages before the oldest one shown, from the history API. */
  async loadOlder(c: Conversation): Promise<void> {
    const seqs = [...c.messages.keys()];
    const oldest = this.olderBefore.get(c.id) ?? (seqs.length ? Math.min(...seqs) : c.lastSeq + 1);
    if (oldest === null || oldest <= 1) {
      this.olderBefore.set(c.id, null);
      this.changed();
      return;
    }
    try {
      const page = await call<TranscriptPage>(this.session,
        `/api/history/conversations/${encodeURIComponent(c.id)}/messages?before=${oldest}&limit=30`);
      this.history = { ok: true };
      this.olderBefore.set(c.id, page.nextBefore ?? null);
      this.conversations.addHistory(c.id, page.messages.map(m => ({
        conversationId: m.conversationId, seq: m.seq, clientId: m.messageId, text: m.text, sentAt: Date.parse(m.sentAt),
        sender: { kind: m.senderKind, id: m.senderId, name: m.senderName || undefined }, quickReplies: m.quickReplies,
      })));
    } catch (e) {
      this.history = { ok: false, reason: unavailable('History', e) };
      this.changed();
    }
  }

  async cannedReplies(query: string): Promise<CannedReply[] | Availability> {
    try {
      return await call<CannedReply[]>(this.session, `/api/admin/canned-replies/search?q=${encodeURIComponent(query)}&limit=8`);
    } catch (e) {
      return { ok: false, reason: unavailable('Canned replies', e) };
    }
  }

  dismissNotice(): void {
    this.notice = undefined;
    this.changed();
  }

  /** The tenant's people with their presence (Routing's desk API), for the transfer picker. */
  async agentDirectory(): Promise<RosterEntry[] | Availability> {
    try {
      return (await call<RosterView>(this.session, '/api/routing/agents')).agents;
    } catch (e) {
      return { ok: false, reason: unavailable('Agent directory', e) };
    }
  }

  /** The tenant's skill groups (Admin's list, open to agents), else the agent's own. */
  async skillGroups(): Promise<string[]> {
    try {
      const groups = await call<{ name: string }[]>(this.session, '/api/admin/skill-groups');
      return groups.map(g => g.name);
    } catch {
      return this.session.skillGroups;
    }
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

/** The ticket frame is the console's alone, so src/chat/protocol.ts (shared with the widget) does not list it. */
function asClientFrame(frame: TicketRequestFrame): ClientFrame {
  return frame as unknown as ClientFrame;
}

/** What to tell the agent when an API does not answer. */
export function unavailable(what: string, e: unknown): string {
  if (e instanceof ApiError) {
    if (e.missing) return `${what}: not available (the service does not answer, HTTP ${e.status}).`;
    if (e.status === 401 || e.status === 403) return `${what}: not allowed for this account (HTTP ${e.status}).`;
    return `${what}: ${e.message}`;
  }
  return `${what}: ${String(e)}`;
}
