import { describe, expect, it } from 'vitest';
import type { ChatMessage, CustomerContext } from '../src/chat/protocol';
import {
  Tickets, canRetry, describeTicket, emptyDraft, recentOrderIds, ticketFrame, validateTicket, workOrderOf, type TicketDraft,
} from '../src/console/tickets';

const draft = (patch: Partial<TicketDraft> = {}): TicketDraft => ({ ...emptyDraft(), ...patch });

function desk() {
  let n = 0;
  const tickets = new Tickets(() => 1000, () => `t${++n}`);
  let changes = 0;
  tickets.subscribe(() => changes++);
  return { tickets, changes: () => changes };
}

function raised(tickets: Tickets, d: TicketDraft = draft({ title: 'Rice cooker arrived broken' }), conversationId = 'conv') {
  const r = tickets.raise(conversationId, d);
  if (!('frame' in r)) throw new Error(`refused: ${JSON.stringify(r.errors)}`);
  return r.frame;
}

describe('ticket frame', () => {
  it('is built trimmed, with the clientId, and without empty optional fields', () => {
    expect(ticketFrame('conv', draft({ title: '  Broken on arrival ', description: ' \n ', orderId: '' }), 'c1')).toEqual({
      type: 'ticket', conversationId: 'conv', clientId: 'c1', title: 'Broken on arrival', priority: 'normal',
    });
    expect(ticketFrame('conv', draft({ title: 'T', description: ' replace it\nplease ', orderId: ' SO20261120000042 ', priority: 'urgent' }), 'c2'))
      .toEqual({
        type: 'ticket', conversationId: 'conv', clientId: 'c2', title: 'T', description: 'replace it\nplease',
        orderId: 'SO20261120000042', priority: 'urgent',
      });
  });

  it('is checked as Session checks it: title required, one line, ≤ 200; description ≤ 4000; order id format; priority', () => {
    expect(validateTicket(draft({ title: 'ok', orderId: 'SO-2026/42:a.b#1_x' }))).toEqual({});
    expect(validateTicket(draft({ title: '   ' })).title).toMatch(/required/);
    expect(validateTicket(draft({ title: 'a\nb' })).title).toMatch(/one line/);
    expect(validateTicket(draft({ title: 'x'.repeat(200) })).title).toBeUndefined();
    expect(validateTicket(draft({ title: 'x'.repeat(201) })).title).toMatch(/200/);
    expect(validateTicket(draft({ title: 't', description: 'd'.repeat(4001) })).description).toMatch(/4000/);
    expect(validateTicket(draft({ title: 't', orderId: 'has space' })).orderId).toBeDefined();
    expect(validateTicket(draft({ title: 't', orderId: 'x'.repeat(65) })).orderId).toBeDefined();
    expect(validateTicket(draft({ title: 't', priority: 'asap' as TicketDraft['priority'] })).priority).toBeDefined();
  });

  it('is not raised from an invalid draft: nothing is recorded and the errors come back', () => {
    const { tickets } = desk();
    const r = tickets.raise('conv', draft({ title: '' }));
    expect('errors' in r && r.errors.title).toBeTruthy();
    expect(tickets.forConversation('conv')).toEqual([]);
  });
});

describe('ticket status', () => {
  it('goes sending → requested → created with the work order number and the seq of the system message', () => {
    const { tickets, changes } = desk();
    const frame = raised(tickets);
    expect(tickets.get(frame.clientId)!.state).toBe('sending');
    expect(tickets.sending('conv')).toBe(true);

    expect(tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'requested', clientId: frame.clientId,
      title: frame.title, duplicate: false } as never)).toBe(true);
    expect(tickets.get(frame.clientId)).toMatchObject({ state: 'requested', ticketRequestId: 'r1' });
    expect(describeTicket(tickets.get(frame.clientId)!)).toMatch(/waiting for the order system/);
    expect(tickets.sending('conv')).toBe(false);

    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'created', clientId: frame.clientId,
      workOrderNumber: 'WO-2026-000123', seq: 5 } as never);
    const t = tickets.get(frame.clientId)!;
    expect(t).toMatchObject({ state: 'created', workOrderNumber: 'WO-2026-000123', seq: 5, title: 'Rice cooker arrived broken' });
    expect(describeTicket(t)).toBe('Created: work order WO-2026-000123');
    expect(changes()).toBeGreaterThanOrEqual(3);
  });

  it('shows a rejection with the order system\'s reason', () => {
    const { tickets } = desk();
    const frame = raised(tickets);
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'requested', clientId: frame.clientId } as never);
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'rejected', clientId: frame.clientId,
      reason: 'the order desk refused the work order' } as never);
    const t = tickets.get(frame.clientId)!;
    expect(t.state).toBe('rejected');
    expect(describeTicket(t)).toBe('Rejected by the order system: the order desk refused the work order');
    expect(canRetry(t)).toBe(false);
  });

  it('never steps back: a late `requested` (a resend, another replica) after the result keeps the result', () => {
    const { tickets } = desk();
    const frame = raised(tickets);
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'created', clientId: frame.clientId,
      workOrderNumber: 'WO-2026-000007', seq: 3 } as never);
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'requested', clientId: frame.clientId, duplicate: true } as never);
    expect(tickets.get(frame.clientId)).toMatchObject({ state: 'created', workOrderNumber: 'WO-2026-000007' });
  });

  it('keeps a ticket it did not raise (another tab, a reload) by its request id', () => {
    const { tickets } = desk();
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r9', status: 'created', title: 'From elsewhere',
      workOrderNumber: 'WO-2026-000009', seq: 2 } as never);
    expect(tickets.forConversation('conv')).toEqual([expect.objectContaining({ state: 'created', title: 'From elsewhere', workOrderNumber: 'WO-2026-000009' })]);
    expect(tickets.forConversation('other')).toEqual([]);
  });

  it('takes refusals naming its clientId, and leaves every other frame to the conversation model', () => {
    const { tickets } = desk();
    const frame = raised(tickets);
    expect(tickets.apply({ type: 'error', code: 'blocked', message: 'x', clientId: 'some-message' } as never)).toBe(false);
    expect(tickets.apply({ type: 'error', code: 'transfer_failed', message: 'x' } as never)).toBe(false);
    expect(tickets.apply({ type: 'message' } as never)).toBe(false);
    expect(tickets.apply({ type: 'error', code: 'invalid', message: 'a ticket needs a title', clientId: frame.clientId } as never)).toBe(true);
    const t = tickets.get(frame.clientId)!;
    expect(t).toMatchObject({ state: 'failed', error: { code: 'invalid', message: 'a ticket needs a title' } });
    expect(describeTicket(t)).toMatch(/^Not accepted: a ticket needs a title/);
    expect(canRetry(t)).toBe(false);
  });

  it.each([
    ['forbidden', 'not your conversation', /Not allowed/, false],
    ['not_found', 'no such conversation', /not found/, false],
    ['conversation_ended', 'the conversation has ended', /has ended/, false],
    ['ticket_failed', 'tickets cannot be raised right now', /Could not be stored.*Retry sends the same ticket/, true],
    ['unavailable', 'NATS did not answer in time', /did not answer in time.*Retry/, true],
  ])('says what %s means and whether a retry can cure it', (code, message, said, retryable) => {
    const { tickets } = desk();
    const frame = raised(tickets);
    tickets.apply({ type: 'error', code, message, clientId: frame.clientId } as never);
    const t = tickets.get(frame.clientId)!;
    expect(describeTicket(t)).toMatch(said);
    expect(canRetry(t)).toBe(retryable);
  });

  it('retries with the very same frame (same clientId: the same ticket, stored once)', () => {
    const { tickets } = desk();
    const frame = raised(tickets);
    expect(tickets.retry(frame.clientId)).toBeUndefined(); // nothing to retry while it is being sent
    tickets.apply({ type: 'error', code: 'ticket_failed', message: 'down', clientId: frame.clientId } as never);
    const again = tickets.retry(frame.clientId);
    expect(again).toEqual(frame);
    expect(tickets.get(frame.clientId)!.state).toBe('sending');
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'requested', clientId: frame.clientId, duplicate: true } as never);
    expect(tickets.get(frame.clientId)!.state).toBe('requested');
  });

  it('does not let a late refusal of a resend undo an answer already heard', () => {
    const { tickets } = desk();
    const frame = raised(tickets);
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r1', status: 'requested', clientId: frame.clientId } as never);
    expect(tickets.apply({ type: 'error', code: 'unavailable', message: 'slow', clientId: frame.clientId } as never)).toBe(true);
    expect(tickets.get(frame.clientId)!.state).toBe('requested');
  });

  it('sends unanswered tickets again after a reconnect, and ones that could not leave a closed socket', () => {
    const { tickets } = desk();
    const first = raised(tickets, draft({ title: 'one' }));
    const second = raised(tickets, draft({ title: 'two' }));
    const third = raised(tickets, draft({ title: 'three' }));
    tickets.notSent(second.clientId);
    expect(tickets.get(second.clientId)!.error?.code).toBe('not_sent');
    expect(canRetry(tickets.get(second.clientId)!)).toBe(true);
    tickets.apply({ type: 'ticket', conversationId: 'conv', ticketRequestId: 'r3', status: 'requested', clientId: third.clientId } as never);
    expect(tickets.unanswered()).toEqual([first, second]);
    expect(tickets.get(second.clientId)!.state).toBe('sending');
  });
});

describe('order ids offered in the form', () => {
  const order = (orderId: string, createdAt: number) => ({ orderId, status: 'PAID', amountCents: 100, currency: 'CNY', createdAt, items: [] });

  it('are the customer\'s recent orders, newest first, without repeats', () => {
    const context: CustomerContext = { orders: { status: 'live', orders: [order('SO1', 1), order('SO3', 3), order('SO2', 2), order('SO3', 3)] } };
    expect(recentOrderIds(context)).toEqual(['SO3', 'SO2', 'SO1']);
    expect(recentOrderIds({ orders: { status: 'cached', orders: [order('SO9', 9)] } })).toEqual(['SO9']);
  });

  it('are none when the order system is unavailable or sent nothing', () => {
    expect(recentOrderIds(undefined)).toEqual([]);
    expect(recentOrderIds({})).toEqual([]);
    expect(recentOrderIds({ orders: { status: 'unavailable', reason: 'down', orders: [] } })).toEqual([]);
  });
});

describe('work order system messages', () => {
  const message = (kind: ChatMessage['sender']['kind'], metadata?: Record<string, string>): ChatMessage => ({
    conversationId: 'conv', seq: 5, clientId: 'ticket-r1', sender: { kind, id: 'tickets', name: 'Tickets' },
    text: 'Work order WO-2026-000123 has been created: Broken', sentAt: 0, metadata,
  });

  it('are recognised by the system sender and the ticket metadata', () => {
    expect(workOrderOf(message('system', { 'ticket.requestId': 'r1', 'ticket.status': 'created', 'ticket.workOrderNumber': 'WO-2026-000123' })))
      .toEqual({ number: 'WO-2026-000123', requestId: 'r1' });
    expect(workOrderOf(message('system'))).toBeUndefined();
    expect(workOrderOf(message('agent', { 'ticket.workOrderNumber': 'WO-fake' }))).toBeUndefined();
  });
});
