// The queue and the agent directory as Routing's desk API gives them (GET /api/routing/queue, /api/routing/agents),
// and what the console makes of them. Read-only: Routing gives a waiting conversation to the next agent of its
// skill group with room; nobody picks one from the queue.

export interface QueueEntry {
  conversationId: string;
  skillGroup: string;
  /** 1-based within its skill group: what the customer is shown. */
  position: number;
  band: 'returning' | 'priority' | 'normal';
  queuedAt: string;
  waitingSeconds: number;
  visitorId?: string;
  customerName?: string;
  language?: string;
  entryPage?: string;
  customerTier?: string;
}

export interface QueueView { conversations: QueueEntry[]; total: number; skillGroups?: string[] | null; asOf: string }

export interface RosterEntry {
  id: string;
  displayName: string;
  role: string;
  skillGroups: string[];
  status: 'online' | 'away' | 'offline';
  /** Online with room for another conversation: a transfer to them is taken. */
  accepting: boolean;
}

export interface RosterView { agents: RosterEntry[]; hasDirectory: boolean }

/** How often the console asks for the queue (Session does not push queue changes to agents). */
export const QueueRefreshMs = 3000;

/** "42 s", "3 min 05 s", "1 h 02 min": how long a customer has waited. */
export function formatWait(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
  return `${Math.floor(s / 3600)} h ${String(Math.floor((s % 3600) / 60)).padStart(2, '0')} min`;
}

/** The wait now: the server's figure plus the time since the answer came (the clocks of server and browser may differ). */
export function waitedSeconds(entry: QueueEntry, receivedAt: number, now: number): number {
  return entry.waitingSeconds + Math.max(0, (now - receivedAt) / 1000);
}

/** Who the customer is, as far as the queue knows. */
export function customerLabel(entry: QueueEntry): string {
  return entry.customerName ?? entry.visitorId ?? 'Customer';
}

/**
 * The people a conversation can be transferred to, best first: those who take it now (online with room), then
 * the rest (shown, but not choosable), each group by name. Never the agent themself.
 */
export function transferChoices(agents: RosterEntry[], me: string | undefined): { agent: RosterEntry; choosable: boolean; note: string }[] {
  const rank = (a: RosterEntry) => (a.accepting ? 0 : a.status === 'online' ? 1 : a.status === 'away' ? 2 : 3);
  return agents
    .filter(a => a.id !== me)
    .sort((x, y) => rank(x) - rank(y) || x.displayName.localeCompare(y.displayName))
    .map(a => ({
      agent: a,
      choosable: a.accepting,
      note: a.accepting ? 'online' : a.status === 'online' ? 'online, no room' : a.status,
    }));
}
