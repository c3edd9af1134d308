import { Fragment } from 'preact';
import { useEffect, useLayoutEffect, useReducer, useRef, useState } from 'preact/hooks';
import type { Conversation } from '../chat/conversations';
import type { AgentStatus, ChatMessage, CustomerContext } from '../chat/protocol';
import type { AgentDesk, Availability, CannedReply } from './agentDesk';
import { customerLabel, formatWait, transferChoices, waitedSeconds, type RosterEntry } from './queue';
import {
  MaxDescription, MaxTitle, Priorities, canRetry, describeTicket, emptyDraft, recentOrderIds, workOrderOf,
  type Ticket, type TicketDraft, type TicketFieldErrors, type TicketPriority,
} from './tickets';

function useDesk(desk: AgentDesk): void {
  const [, refresh] = useReducer((n: number) => n + 1, 0);
  useEffect(() => {
    const off = desk.subscribe(() => refresh(0));
    const tick = setInterval(() => refresh(0), 1000);
    return () => { off(); clearInterval(tick); };
  }, [desk]);
}

export function Console({ desk, onSignOut }: { desk: AgentDesk; onSignOut: () => void }) {
  useDesk(desk);
  const { open, closed } = desk.mine();
  const selected = desk.selected ? desk.conversations.byId.get(desk.selected) : undefined;
  return (
    <div class="console">
      <header class="topbar">
        <strong>Agent console</strong>
        <span class="spacer" />
        <LinkState desk={desk} />
        <label class="status">
          <span class={`dot ${desk.status}`} />
          <select value={desk.status} data-testid="status" aria-label="Status"
            onChange={e => desk.setStatus((e.target as HTMLSelectElement).value as AgentStatus)}>
            <option value="online">Online</option>
            <option value="away">Away</option>
            <option value="offline">Offline</option>
          </select>
        </label>
        <span>{desk.session.name} <span class="muted">({desk.session.role}{desk.session.skillGroups.length ? ` · ${desk.session.skillGroups.join(', ')}` : ''})</span></span>
        <button type="button" onClick={onSignOut}>Sign out</button>
      </header>
      <div class="desk">
        <nav class="lists" aria-label="Conversations">
          <QueueList desk={desk} />
          <ConversationList title="Waiting for my reply" testid="queue" desk={desk}
            items={open.filter(c => c.state !== 'active')} empty={desk.status === 'online' ? 'Nothing waiting: new conversations come here.' : 'Go online to receive conversations.'} />
          <ConversationList title="My conversations" testid="mine" desk={desk} items={open.filter(c => c.state === 'active')} empty="None open." />
          <ConversationList title="Ended or transferred" testid="closed" desk={desk} items={closed} empty="None yet." />
        </nav>
        {selected ? <ChatView key={selected.id} desk={desk} conversation={selected} /> : <p class="placeholder muted">Select a conversation.</p>}
        {selected && <CustomerPanel conversation={selected} />}
      </div>
    </div>
  );
}

function LinkState({ desk }: { desk: AgentDesk }) {
  if (desk.link === 'open') return <span class="link-state ok">Connected</span>;
  return <span class="link-state bad" data-testid="link">{desk.link === 'connecting' ? 'Connecting…' : 'Disconnected, reconnecting…'}</span>;
}

/**
 * The conversations waiting for an agent of the agent's skill groups (every group for supervisors and admins), best
 * first, with how long each has waited. Read-only: Routing gives each to the next agent of its group with room.
 */
function QueueList({ desk }: { desk: AgentDesk }) {
  const { view, receivedAt, availability } = desk.queue;
  const items = view?.conversations ?? [];
  const now = Date.now();
  const scope = desk.session.role === 'agent' ? 'your skill groups' : 'every skill group';
  return (
    <section data-testid="waiting-queue" class="queue">
      <h2 title={`Waiting for an agent in ${scope}; Routing hands each to the next agent of its group with room.`}>
        Queue <span class="count" data-testid="queue-total">{view?.total ?? 0}</span>
      </h2>
      {!availability.ok && <p class="notice small" data-testid="queue-unavailable">{availability.reason}</p>}
      {availability.ok && view && items.length === 0 && <p class="muted small">Nobody is waiting in {scope}.</p>}
      <ul>
        {items.map(q => (
          <li key={q.conversationId} class={`waiting ${q.band}`} data-testid="queued" data-conversation={q.conversationId}
            title={[q.entryPage && `from ${q.entryPage}`, q.customerTier && `tier ${q.customerTier}`].filter(Boolean).join(' · ') || undefined}>
            <span class="name">{customerLabel(q)}</span>
            <span class="wait" data-testid="queued-wait">{formatWait(waitedSeconds(q, receivedAt, now))}</span>
            <span class="state">
              #{q.position} in {q.skillGroup}
              {q.band !== 'normal' ? ` · ${q.band}` : ''}
              {q.language ? ` · ${q.language}` : ''}
              {q.entryPage ? ` · ${q.entryPage}` : ''}
            </span>
          </li>
        ))}
      </ul>
      {view && view.total > items.length && <p class="muted small">and {view.total - items.length} more</p>}
    </section>
  );
}

function ConversationList({ title, items, desk, empty, testid }: { title: string; items: Conversation[]; desk: AgentDesk; empty: string; testid: string }) {
  return (
    <section data-testid={testid}>
      <h2>{title} <span class="count">{items.length}</span></h2>
      {items.length === 0 && <p class="muted small">{empty}</p>}
      <ul>
        {items.map(c => {
          const unread = desk.conversations.unread(c);
          const messages = desk.conversations.messagesOf(c);
          const last = messages[messages.length - 1];
          return (
            <li key={c.id}>
              <button type="button" class={c.id === desk.selected ? 'item selected' : 'item'} data-testid="conversation" data-conversation={c.id}
                onClick={() => desk.select(c.id)}>
                <span class="name">{c.customer?.name ?? c.customer?.id ?? 'Customer'}</span>
                {unread > 0 && <span class="badge" data-testid="unread">{unread}</span>}
                <span class="preview">{last?.text ?? ''}</span>
                <span class="state">{c.state}{c.skillGroup ? ` · ${c.skillGroup}` : ''}</span>
              </button>
            </li>
          );
        })}
      </ul>
    </section>
  );
}

function ChatView({ desk, conversation }: { desk: AgentDesk; conversation: Conversation }) {
  const list = useRef<HTMLDivElement>(null);
  const [draft, setDraft] = useState('');
  const [transferring, setTransferring] = useState(false);
  const [ticketing, setTicketing] = useState(false);
  const messages = desk.conversations.messagesOf(conversation);
  const pending = desk.conversations.outbox.filter(p => p.conversationId === conversation.id);
  const ended = conversation.state === 'ended';
  const mineNow = !conversation.agent || conversation.agent.id === desk.me;
  const older = desk.olderBefore.get(conversation.id);
  const firstSeq = messages[0]?.seq ?? 1;
  const count = messages.length + pending.length;
  const lastSeq = messages[messages.length - 1]?.seq;

  useLayoutEffect(() => {
    const el = list.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [lastSeq, pending.length]);

  useEffect(() => desk.seen(conversation.id), [desk, conversation.id, count]);

  const send = (text: string) => {
    desk.send(conversation.id, text);
    setDraft('');
  };

  return (
    <main class="chat" data-testid="chat">
      <header class="chat-head">
        <div>
          <h2>{conversation.customer?.name ?? conversation.customer?.id ?? 'Customer'}</h2>
          <span class="muted small">{conversation.state}{conversation.skillGroup ? ` · ${conversation.skillGroup}` : ''}
            {conversation.agent && !mineNow ? ` · with ${conversation.agent.name ?? conversation.agent.id}` : ''}</span>
        </div>
        {!ended && mineNow && (
          <div class="actions">
            <button type="button" onClick={() => setTicketing(!ticketing)} data-testid="ticket" aria-expanded={ticketing}
              title="Raise a ticket (work order) in the order system">Ticket</button>
            <button type="button" onClick={() => setTransferring(!transferring)} data-testid="transfer">Transfer</button>
            <button type="button" class="danger" onClick={() => desk.end(conversation.id)} data-testid="end">End</button>
          </div>
        )}
      </header>
      {desk.notice && (
        <p class="notice error" role="alert" data-testid="desk-error">
          {desk.notice} <button type="button" onClick={() => desk.dismissNotice()}>Dismiss</button>
        </p>
      )}
      {ticketing && !ended && mineNow && (
        <TicketForm desk={desk} conversation={conversation} onDone={() => setTicketing(false)} />
      )}
      <TicketStatuses desk={desk} tickets={desk.tickets.forConversation(conversation.id)} />
      {transferring && <TransferForm desk={desk} onTransfer={to => { desk.transfer(conversation.id, to); setTransferring(false); }} onCancel={() => setTransferring(false)} />}
      <div class="transcript" ref={list} data-testid="transcript">
        {older !== null && firstSeq > 1 && (
          <button type="button" class="older" onClick={() => void desk.loadOlder(conversation)} data-testid="older">Earlier messages</button>
        )}
        {!desk.history.ok && <p class="notice">{desk.history.reason}</p>}
        {messages.map(m => m.sender.kind === 'system' ? <SystemLine key={m.seq} message={m} /> : <Line key={m.seq} message={m} mine={desk.conversations.isMine(m.sender)} read={m.seq <= conversation.peerReadSeq} />)}
        {pending.map(p => (
          <div key={p.clientId} class={p.error ? 'line mine failed' : 'line mine pending'} data-testid="line">
            <p class="text">{p.text}</p>
            <span class="meta">{p.error ? <>{p.error} <button type="button" onClick={() => desk.retry(p.clientId)}>Retry</button></> : 'Sending…'}</span>
          </div>
        ))}
        {desk.conversations.peerTyping(conversation) && <p class="typing muted small" data-testid="typing">Customer is typing…</p>}
        {ended && <p class="muted small center" data-testid="ended">Conversation ended.</p>}
      </div>
      {!ended && mineNow && <Composer desk={desk} draft={draft} setDraft={setDraft} onSend={send} conversationId={conversation.id} />}
    </main>
  );
}

function Line({ message, mine, read }: { message: ChatMessage; mine: boolean; read: boolean }) {
  // Text is only ever a text node: a customer's "<script>" is shown as those characters.
  return (
    <div class={mine ? 'line mine' : `line ${message.sender.kind}`} data-seq={message.seq} data-testid="line">
      <span class="who">{message.sender.name ?? message.sender.id} · {message.sender.kind}</span>
      <p class="text">{message.text}</p>
      <span class="meta">{new Date(message.sentAt).toLocaleTimeString()}{mine ? (read ? ' · read' : ' · sent') : ''}</span>
    </div>
  );
}

/** A message of the platform itself (a created work order, say): centred, not a party's bubble. */
function SystemLine({ message }: { message: ChatMessage }) {
  const workOrder = workOrderOf(message);
  return (
    <div class={workOrder ? 'line system ticket' : 'line system'} data-seq={message.seq} data-testid="line" data-kind="system"
      data-work-order={workOrder?.number}>
      <span class="who">{workOrder ? 'Ticket' : (message.sender.name ?? 'System')}</span>
      <p class="text">{message.text}</p>
      {workOrder && <span class="work-order mono" data-testid="work-order">{workOrder.number}</span>}
      <span class="meta">{new Date(message.sentAt).toLocaleTimeString()} · seen by the customer</span>
    </div>
  );
}

/**
 * The ticket form: title (required, one line), description, order id (the customer's recent orders offered),
 * priority. Checked here as Session checks it; the answer comes as the ticket's status below the header.
 */
function TicketForm({ desk, conversation, onDone }: { desk: AgentDesk; conversation: Conversation; onDone: () => void }) {
  const [draft, setDraft] = useState<TicketDraft>(emptyDraft);
  const [errors, setErrors] = useState<TicketFieldErrors>({});
  const orders = recentOrderIds(conversation.customerContext);
  const busy = desk.tickets.sending(conversation.id);
  const set = <K extends keyof TicketDraft>(key: K, value: TicketDraft[K]) => {
    setDraft({ ...draft, [key]: value });
    if (errors[key]) setErrors({ ...errors, [key]: undefined });
  };
  const submit = (e: Event) => {
    e.preventDefault();
    const refused = desk.raiseTicket(conversation.id, draft);
    if (refused) { setErrors(refused); return; }
    setDraft(emptyDraft());
    onDone();
  };
  return (
    <form class="ticket-form" data-testid="ticket-form" onSubmit={submit} noValidate>
      <label>Title
        <input value={draft.title} maxLength={MaxTitle} data-testid="ticket-title" required aria-invalid={!!errors.title}
          placeholder="What the order desk should do, in one line" onInput={e => set('title', (e.target as HTMLInputElement).value)} />
        {errors.title && <span class="field-error" data-testid="ticket-title-error">{errors.title}</span>}
      </label>
      <label>Description
        <textarea rows={3} value={draft.description} maxLength={MaxDescription} data-testid="ticket-description"
          onInput={e => set('description', (e.target as HTMLTextAreaElement).value)} />
        {errors.description && <span class="field-error">{errors.description}</span>}
      </label>
      <div class="row">
        <label>Order id (optional)
          <input value={draft.orderId} list="ticket-orders" data-testid="ticket-order" aria-invalid={!!errors.orderId}
            onInput={e => set('orderId', (e.target as HTMLInputElement).value)} />
          {errors.orderId && <span class="field-error" data-testid="ticket-order-error">{errors.orderId}</span>}
        </label>
        <label>Priority
          <select value={draft.priority} data-testid="ticket-priority"
            onChange={e => set('priority', (e.target as HTMLSelectElement).value as TicketPriority)}>
            {Priorities.map(p => <option key={p} value={p}>{p}</option>)}
          </select>
        </label>
      </div>
      {orders.length > 0 && (
        <p class="recent-orders small">Recent orders:{' '}
          {orders.map(id => (
            <button type="button" key={id} class={draft.orderId === id ? 'chip selected' : 'chip'} data-testid="ticket-order-choice"
              onClick={() => set('orderId', draft.orderId === id ? '' : id)}>{id}</button>
          ))}
        </p>
      )}
      <datalist id="ticket-orders">{orders.map(id => <option key={id} value={id} />)}</datalist>
      <div class="row end">
        <button type="submit" class="primary" disabled={busy} data-testid="ticket-go">Create ticket</button>
        <button type="button" onClick={onDone}>Cancel</button>
      </div>
    </form>
  );
}

/** Each ticket of the conversation and where it stands: sending, requested, created (number), rejected, refused. */
function TicketStatuses({ desk, tickets }: { desk: AgentDesk; tickets: Ticket[] }) {
  if (tickets.length === 0) return null;
  return (
    <ul class="tickets" data-testid="tickets">
      {tickets.map(t => (
        <li key={t.clientId} class={`ticket-status ${t.state}`} data-testid="ticket-status" data-state={t.state}
          data-error={t.error?.code} role={t.state === 'failed' || t.state === 'rejected' ? 'alert' : 'status'}>
          <strong>{t.title || 'Ticket'}</strong>{' '}
          <span data-testid="ticket-state">{describeTicket(t)}</span>
          {canRetry(t) && <> <button type="button" onClick={() => desk.retryTicket(t.clientId)} data-testid="ticket-retry">Retry</button></>}
        </li>
      ))}
    </ul>
  );
}

function Composer({ desk, draft, setDraft, onSend, conversationId }: {
  desk: AgentDesk; draft: string; setDraft: (s: string) => void; onSend: (s: string) => void; conversationId: string;
}) {
  const [canned, setCanned] = useState<CannedReply[] | Availability>();
  const [active, setActive] = useState(0);
  const query = draft.startsWith('/') && !draft.includes('\n') ? draft.slice(1) : undefined;

  useEffect(() => {
    if (query === undefined) { setCanned(undefined); return; }
    let current = true;
    void desk.cannedReplies(query).then(found => { if (current) { setCanned(found); setActive(0); } });
    return () => { current = false; };
  }, [desk, query]);

  const choices = Array.isArray(canned) ? canned : [];
  const choose = (c: CannedReply) => { setDraft(c.reply.text); setCanned(undefined); };

  const onKeyDown = (e: KeyboardEvent) => {
    if (choices.length > 0) {
      if (e.key === 'ArrowDown') { e.preventDefault(); setActive((active + 1) % choices.length); return; }
      if (e.key === 'ArrowUp') { e.preventDefault(); setActive((active + choices.length - 1) % choices.length); return; }
      if (e.key === 'Enter' || e.key === 'Tab') { e.preventDefault(); choose(choices[active]); return; }
      if (e.key === 'Escape') { setCanned(undefined); return; }
    }
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); onSend(draft); }
  };

  return (
    <form class="composer" onSubmit={e => { e.preventDefault(); onSend(draft); }}>
      {canned !== undefined && (
        <div class="canned" data-testid="canned">
          {Array.isArray(canned)
            ? (canned.length === 0 ? <p class="muted small">No canned reply matches “/{query}”.</p>
              : <ul>{canned.map((c, i) => (
                <li key={c.reply.shortcut}>
                  <button type="button" class={i === active ? 'active' : ''} onClick={() => choose(c)}>
                    <strong>/{c.reply.shortcut.replace(/^\//, '')}</strong> {c.reply.title ?? ''} <span class="muted">{c.reply.text}</span>
                  </button>
                </li>))}</ul>)
            : !canned.ok && <p class="notice">{canned.reason}</p>}
        </div>
      )}
      <textarea rows={3} value={draft} maxLength={4000} data-testid="reply" aria-label="Reply"
        placeholder="Reply… (type / for canned replies; Enter sends, Shift+Enter for a new line)"
        onInput={e => { setDraft((e.target as HTMLTextAreaElement).value); desk.typing(conversationId); }}
        onKeyDown={onKeyDown} />
      <button type="submit" class="primary" disabled={!draft.trim()} data-testid="send">Send</button>
    </form>
  );
}

/**
 * Transfer to a person (picked from the tenant's directory: only those online with room can be chosen; the rest are
 * listed with their status) or to a skill group. The directory is read again every few seconds while open.
 */
function TransferForm({ desk, onTransfer, onCancel }: {
  desk: AgentDesk; onTransfer: (to: { agent?: string; group?: string }) => void; onCancel: () => void;
}) {
  const [kind, setKind] = useState<'agent' | 'group'>('agent');
  const [agent, setAgent] = useState('');
  const [group, setGroup] = useState('');
  const [people, setPeople] = useState<RosterEntry[] | Availability>();
  const [groups, setGroups] = useState<string[]>(desk.session.skillGroups);
  useEffect(() => {
    let current = true;
    const load = () => void desk.agentDirectory().then(found => { if (current) setPeople(found); });
    load();
    const timer = setInterval(load, 3000);
    void desk.skillGroups().then(found => { if (current) setGroups(found); });
    return () => { current = false; clearInterval(timer); };
  }, [desk]);
  const choices = Array.isArray(people) ? transferChoices(people, desk.me) : [];
  const chosen = choices.find(c => c.agent.id === agent && c.choosable);
  const ready = kind === 'agent' ? !!chosen : !!group.trim();
  return (
    <form class="transfer" data-testid="transfer-form" onSubmit={e => {
      e.preventDefault();
      if (!ready) return;
      onTransfer(kind === 'agent' ? { agent } : { group: group.trim() });
    }}>
      <select value={kind} onChange={e => setKind((e.target as HTMLSelectElement).value as 'agent' | 'group')} aria-label="Transfer to" data-testid="transfer-kind">
        <option value="agent">to agent</option>
        <option value="group">to skill group</option>
      </select>
      {kind === 'agent'
        ? (
          <select value={chosen ? agent : ''} data-testid="transfer-agent" aria-label="Agent"
            onChange={e => setAgent((e.target as HTMLSelectElement).value)}>
            <option value="" disabled>
              {people === undefined ? 'Loading agents…' : !Array.isArray(people) ? 'Agent directory unavailable'
                : choices.some(c => c.choosable) ? 'Choose an agent who is online' : 'Nobody else is online with room'}
            </option>
            {choices.map(c => (
              <option key={c.agent.id} value={c.agent.id} disabled={!c.choosable} data-status={c.agent.status}>
                {c.agent.displayName} — {c.note}{c.agent.skillGroups.length ? ` (${c.agent.skillGroups.join(', ')})` : ''}
              </option>
            ))}
          </select>)
        : (
          <select value={group} data-testid="transfer-group" aria-label="Skill group" onChange={e => setGroup((e.target as HTMLSelectElement).value)}>
            <option value="" disabled>Choose a skill group</option>
            {groups.map(g => <option key={g} value={g}>{g}</option>)}
          </select>)}
      <button type="submit" class="primary" data-testid="transfer-go" disabled={!ready}>Transfer</button>
      <button type="button" onClick={onCancel}>Cancel</button>
      {people !== undefined && !Array.isArray(people) && !people.ok && <span class="notice small" data-testid="directory-unavailable">{people.reason}</span>}
    </form>
  );
}

function CustomerPanel({ conversation }: { conversation: Conversation }) {
  const context: CustomerContext | undefined = conversation.customerContext;
  const profile = context?.profile;
  const orders = context?.orders;
  return (
    <aside class="customer" data-testid="customer-panel">
      <h2>Customer</h2>
      <dl>
        <dt>Name</dt><dd>{profile?.name ?? conversation.customer?.name ?? '—'}</dd>
        <dt>Id</dt><dd class="mono">{conversation.customer?.id ?? '—'}</dd>
        <dt>Conversation</dt><dd class="mono">{conversation.id}</dd>
      </dl>
      <h3>Profile <Source status={profile?.status} /></h3>
      {profile && profile.status !== 'unavailable'
        ? (
          <dl data-testid="profile">
            {profile.tier && <><dt>Tier</dt><dd>{profile.tier}</dd></>}
            {profile.phone && <><dt>Phone</dt><dd>{profile.phone}</dd></>}
            {profile.email && <><dt>Email</dt><dd>{profile.email}</dd></>}
            {Object.entries(profile.attributes ?? {}).map(([k, v]) => <Fragment key={k}><dt>{k}</dt><dd>{v}</dd></Fragment>)}
          </dl>)
        : <p class="notice" data-testid="crm-unavailable">CRM unavailable{profile?.reason ? `: ${profile.reason}` : ': no profile came with this conversation'}.</p>}
      <h3>Recent orders <Source status={orders?.status} /></h3>
      {orders && orders.status !== 'unavailable'
        ? (orders.orders.length === 0 ? <p class="muted small">No orders.</p> : (
          <table data-testid="orders">
            <thead><tr><th>Order</th><th>Status</th><th>Amount</th></tr></thead>
            <tbody>{orders.orders.map(o => (
              <tr key={o.orderId} title={o.items.join(', ')}>
                <td class="mono">{o.orderId}<br /><span class="muted">{new Date(o.createdAt).toLocaleDateString()}</span></td>
                <td>{o.status}</td>
                <td>{(o.amountCents / 100).toFixed(2)} {o.currency}</td>
              </tr>))}</tbody>
          </table>))
        : <p class="notice" data-testid="orders-unavailable">Order system unavailable{orders?.reason ? `: ${orders.reason}` : ': no orders came with this conversation'}.</p>}
    </aside>
  );
}

/** A cached answer is shown, marked as such: the legacy system did not answer just now. */
function Source({ status }: { status?: string }) {
  return status === 'cached' ? <span class="cached" title="The system did not answer; this is the adapter's last copy.">cached</span> : null;
}
