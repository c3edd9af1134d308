// Tickets (客服转工单) raised from the console: the `ticket` frame an agent sends, the `ticket` and `error` frames
// that answer it (docs/protocol.md, docs/tickets.md), and what the console shows for each ticket meanwhile.
import type { ChatMessage, CustomerContext } from '../chat/protocol';
import { newClientId } from '../chat/protocol';

export const Priorities = ['low', 'normal', 'high', 'urgent'] as const;
export type TicketPriority = (typeof Priorities)[number];

export const MaxTitle = 200;
export const MaxDescription = 4000;
const OrderIdFormat = /^[A-Za-z0-9_\-./:#]{1,64}$/;
// Session refuses a title with control characters ("one line of text").
const ControlCharacter = /[\u0000-\u001f\u007f-\u009f]/;

/** What the agent typed into the ticket form. */
export interface TicketDraft {
  title: string;
  description: string;
  orderId: string;
  priority: TicketPriority;
}

export const emptyDraft = (): TicketDraft => ({ title: '', description: '', orderId: '', priority: 'normal' });

/** The agent's `ticket` frame (client → server). Not in src/chat/protocol.ts's ClientFrame: only the console sends it. */
export interface TicketRequestFrame {
  type: 'ticket';
  conversationId: string;
  clientId: string;
  title: string;
  description?: string;
  orderId?: string;
  priority: TicketPriority;
}

/** The server's `ticket` frame: `requested` (the answer), then `created` or `rejected` (the order system's). */
export interface TicketStatusFrame {
  type: 'ticket';
  conversationId: string;
  ticketRequestId: string;
  status: 'requested' | 'created' | 'rejected' | string;
  clientId?: string;
  title?: string;
  workOrderNumber?: string;
  reason?: string;
  seq?: number;
  duplicate?: boolean;
}

export interface ErrorFrame { type: 'error'; code: string; message: string; clientId?: string }

export type TicketFieldErrors = Partial<Record<keyof TicketDraft, string>>;

/** Checks the draft the way Session will (docs/protocol.md), so the agent learns at once what to fix. */
export function validateTicket(draft: TicketDraft): TicketFieldErrors {
  const errors: TicketFieldErrors = {};
  const title = draft.title.trim();
  if (!title) errors.title = 'A title is required.';
  else if (title.length > MaxTitle) errors.title = `At most ${MaxTitle} characters (now ${title.length}).`;
  else if (ControlCharacter.test(title)) errors.title = 'The title must be one line.';
  const description = draft.description.trim();
  if (description.length > MaxDescription) errors.description = `At most ${MaxDescription} characters (now ${description.length}).`;
  const orderId = draft.orderId.trim();
  if (orderId && !OrderIdFormat.test(orderId)) errors.orderId = 'Up to 64 letters, digits or - _ . / : #.';
  if (!(Priorities as readonly string[]).includes(draft.priority)) errors.priority = 'Low, normal, high or urgent.';
  return errors;
}

/** The frame for a valid draft: trimmed, with the optional fields left out when empty. */
export function ticketFrame(conversationId: string, draft: TicketDraft, clientId: string): TicketRequestFrame {
  const frame: TicketRequestFrame = { type: 'ticket', conversationId, clientId, title: draft.title.trim(), priority: draft.priority };
  const description = draft.description.trim();
  const orderId = draft.orderId.trim();
  if (description) frame.description = description;
  if (orderId) frame.orderId = orderId;
  return frame;
}

/** The customer's recent order ids, newest first, from the context the CRM/order-system adapters preloaded. */
export function recentOrderIds(context: CustomerContext | undefined, limit = 5): string[] {
  const orders = context?.orders;
  if (!orders || orders.status === 'unavailable') return [];
  const ids: string[] = [];
  for (const o of [...orders.orders].sort((a, b) => b.createdAt - a.createdAt))
    if (o.orderId && !ids.includes(o.orderId) && OrderIdFormat.test(o.orderId)) ids.push(o.orderId);
  return ids.slice(0, limit);
}

/**
 * Where a ticket stands, as the console shows it:
 * sending (no answer yet) → requested (stored durably) → created (work order number) | rejected (reason);
 * failed: the server refused the frame (an `error` naming its clientId) or it could not be sent.
 */
export type TicketState = 'sending' | 'requested' | 'created' | 'rejected' | 'failed';

export interface Ticket {
  clientId: string;
  conversationId: string;
  title: string;
  state: TicketState;
  ticketRequestId?: string;
  workOrderNumber?: string;
  /** The seq of the system message that announced the work order. */
  seq?: number;
  /** rejected: the order system's reason. */
  reason?: string;
  /** failed: the error frame's code and message. */
  error?: { code: string; message: string };
  /** The frame to send again (same clientId: the same ticket, stored once). */
  frame?: TicketRequestFrame;
  updatedAt: number;
}

/** Refusals that a resend of the same frame may cure (nothing was stored; the same clientId is the same ticket). */
const Retryable = new Set(['ticket_failed', 'unavailable', 'internal', 'not_sent']);

export function canRetry(t: Ticket): boolean {
  return t.state === 'failed' && t.frame !== undefined && Retryable.has(t.error?.code ?? '');
}

/** What to tell the agent about a ticket, in one line. */
export function describeTicket(t: Ticket): string {
  switch (t.state) {
    case 'sending': return 'Sending…';
    case 'requested': return 'Requested: waiting for the order system…';
    case 'created': return `Created: work order ${t.workOrderNumber ?? '(no number)'}`;
    case 'rejected': return `Rejected by the order system: ${t.reason || 'no reason given'}`;
    case 'failed': return describeError(t.error?.code ?? 'internal', t.error?.message ?? '');
  }
}

export function describeError(code: string, message: string): string {
  const detail = message ? ` (${message})` : '';
  switch (code) {
    case 'invalid': return `Not accepted: ${message || 'the ticket is invalid'}. Correct it and create it again.`;
    case 'forbidden': return `Not allowed${detail}: only the agent holding the conversation (or a supervisor) can raise a ticket.`;
    case 'not_found': return `The conversation was not found${detail}.`;
    case 'conversation_ended': return `The conversation has ended${detail}; tickets are raised on open conversations.`;
    case 'ticket_failed': return `Could not be stored right now${detail}. Retry sends the same ticket (it is stored once).`;
    case 'unavailable': return `The platform did not answer in time${detail}. Retry sends the same ticket (nothing is doubled).`;
    case 'not_sent': return 'Not sent: the console is not connected. Retry once it is.';
    default: return `Refused: ${code}${detail}.`;
  }
}

/** The tickets this console raised or heard of, fed by the socket's frames. */
export class Tickets {
  private readonly byClientId = new Map<string, Ticket>();
  private readonly listeners = new Set<() => void>();

  constructor(private readonly now: () => number = Date.now, private readonly newId: () => string = () => 't' + newClientId()) {}

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Records a new ticket from a valid draft and returns the frame to send, or the draft's errors. */
  raise(conversationId: string, draft: TicketDraft): { frame: TicketRequestFrame } | { errors: TicketFieldErrors } {
    const errors = validateTicket(draft);
    if (Object.keys(errors).length > 0) return { errors };
    const frame = ticketFrame(conversationId, draft, this.newId());
    this.byClientId.set(frame.clientId, {
      clientId: frame.clientId, conversationId, title: frame.title, state: 'sending', frame, updatedAt: this.now(),
    });
    this.changed();
    return { frame };
  }

  /** The socket was not open: the frame did not leave. Marked so the agent can retry (it is also resent on reconnect). */
  notSent(clientId: string): void {
    const t = this.byClientId.get(clientId);
    if (!t || t.state !== 'sending') return;
    this.update(t, { state: 'failed', error: { code: 'not_sent', message: 'not connected' } });
  }

  /** The same frame again (same clientId) for a ticket whose refusal a resend may cure. */
  retry(clientId: string): TicketRequestFrame | undefined {
    const t = this.byClientId.get(clientId);
    if (!t || !canRetry(t)) return undefined;
    this.update(t, { state: 'sending', error: undefined });
    return t.frame;
  }

  /** Tickets that never got an answer, to send again right after a (re)connect: the server stores each once. */
  unanswered(): TicketRequestFrame[] {
    const frames: TicketRequestFrame[] = [];
    for (const t of this.byClientId.values())
      if (t.frame && (t.state === 'sending' || (t.state === 'failed' && t.error?.code === 'not_sent'))) {
        t.state = 'sending';
        t.error = undefined;
        frames.push(t.frame);
      }
    return frames;
  }

  /**
   * Takes the frames about tickets: `ticket` frames, and `error` frames naming a ticket's clientId. Returns false
   * for every other frame (the conversation model handles those).
   */
  apply(frame: { type: string }): boolean {
    if (frame.type === 'ticket') {
      this.status(frame as TicketStatusFrame);
      return true;
    }
    if (frame.type === 'error') {
      const error = frame as ErrorFrame;
      const t = error.clientId ? this.byClientId.get(error.clientId) : undefined;
      if (!t) return false;
      // A late refusal of a resend does not undo an answer already heard.
      if (t.state === 'sending' || t.state === 'failed')
        this.update(t, { state: 'failed', error: { code: error.code, message: error.message } });
      return true;
    }
    return false;
  }

  forConversation(conversationId: string): Ticket[] {
    return [...this.byClientId.values()].filter(t => t.conversationId === conversationId);
  }

  get(clientId: string): Ticket | undefined {
    return this.byClientId.get(clientId);
  }

  /** Whether a ticket of this conversation is still waiting for its `requested` answer (the form stays disabled). */
  sending(conversationId: string): boolean {
    return this.forConversation(conversationId).some(t => t.state === 'sending');
  }

  private status(f: TicketStatusFrame): void {
    // Known by the clientId this console chose; a ticket raised elsewhere (another tab, a supervisor, before a
    // reload) is kept by its request id.
    const key = f.clientId ?? `r:${f.ticketRequestId}`;
    let t = this.byClientId.get(key) ?? [...this.byClientId.values()].find(x => x.ticketRequestId === f.ticketRequestId);
    if (!t) {
      t = { clientId: key, conversationId: f.conversationId, title: f.title ?? '', state: 'sending', updatedAt: this.now() };
      this.byClientId.set(key, t);
    }
    const rank: Record<TicketState, number> = { sending: 0, failed: 0, requested: 1, created: 2, rejected: 2 };
    const next: TicketState | undefined = f.status === 'requested' || f.status === 'created' || f.status === 'rejected' ? f.status : undefined;
    if (!next) return;
    // Frames may come out of order across replicas (or a resend's `requested` after the result): never step back.
    if (rank[next] < rank[t.state]) {
      this.update(t, { ticketRequestId: t.ticketRequestId ?? f.ticketRequestId });
      return;
    }
    this.update(t, {
      state: next, ticketRequestId: f.ticketRequestId, title: f.title || t.title, error: undefined,
      workOrderNumber: f.workOrderNumber ?? t.workOrderNumber, reason: f.reason ?? t.reason, seq: f.seq ?? t.seq,
    });
  }

  private update(t: Ticket, patch: Partial<Ticket>): void {
    Object.assign(t, patch, { updatedAt: this.now() });
    this.changed();
  }

  private changed(): void {
    for (const l of this.listeners) l();
  }
}

/** The work order a system message announced (Session's `ticket.*` metadata), if it is one. */
export function workOrderOf(message: ChatMessage): { number: string; requestId?: string } | undefined {
  if (message.sender.kind !== 'system') return undefined;
  const number = message.metadata?.['ticket.workOrderNumber'];
  return number ? { number, requestId: message.metadata?.['ticket.requestId'] } : undefined;
}
