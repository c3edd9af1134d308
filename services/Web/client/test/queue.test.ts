import { describe, expect, it } from 'vitest';
import { customerLabel, formatWait, transferChoices, waitedSeconds, type QueueEntry, type RosterEntry } from '../src/console/queue';

const entry = (over: Partial<QueueEntry> = {}): QueueEntry => ({
  conversationId: 'c1', skillGroup: 'general', position: 1, band: 'normal', queuedAt: '2026-03-01T09:00:00Z', waitingSeconds: 12, ...over,
});

const person = (id: string, displayName: string, status: RosterEntry['status'], accepting: boolean): RosterEntry =>
  ({ id, displayName, role: 'agent', skillGroups: ['general'], status, accepting });

describe('the queue', () => {
  it('says how long a customer waited', () => {
    expect(formatWait(0)).toBe('0 s');
    expect(formatWait(59.9)).toBe('59 s');
    expect(formatWait(185)).toBe('3 min 05 s');
    expect(formatWait(3720)).toBe('1 h 02 min');
    expect(formatWait(-5)).toBe('0 s');
  });

  it('counts the wait on from the answer, whatever the browser clock says', () => {
    expect(waitedSeconds(entry({ waitingSeconds: 10 }), 1_000, 6_000)).toBe(15);
    expect(waitedSeconds(entry({ waitingSeconds: 10 }), 6_000, 1_000)).toBe(10);
  });

  it('names the customer by name, else by visitor id', () => {
    expect(customerLabel(entry({ customerName: 'Li Lei', visitorId: 'v1' }))).toBe('Li Lei');
    expect(customerLabel(entry({ visitorId: 'v1' }))).toBe('v1');
    expect(customerLabel(entry())).toBe('Customer');
  });
});

describe('transfer choices', () => {
  it('offers those who take a conversation now first, shows the others but not as choices, never oneself', () => {
    const choices = transferChoices([
      person('z', 'Zoe', 'offline', false), person('b', 'Bob', 'online', true), person('c', 'Cat', 'online', false),
      person('a', 'Alice', 'online', true), person('d', 'Dan', 'away', false), person('me', 'Me', 'online', true),
    ], 'me');
    expect(choices.map(c => c.agent.id)).toEqual(['a', 'b', 'c', 'd', 'z']);
    expect(choices.map(c => c.choosable)).toEqual([true, true, false, false, false]);
    expect(choices.map(c => c.note)).toEqual(['online', 'online', 'online, no room', 'away', 'offline']);
  });
});
