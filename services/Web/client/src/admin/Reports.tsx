import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, type StaffSession } from '../shared/staff';
import { BarChart, LineChart } from './charts';

/** A row of GET /api/history/stats (docs/history.md): the figures of one bucket for one key. */
interface StatsRow {
  bucket: string; key: string; conversations: number; messages: number;
  avgFirstResponseSeconds: number | null; avgResolutionSeconds: number | null;
  ended: number; botResolved: number; botResolvedShare: number | null; handoffs: number; transfers: number; sensitiveWordHits: number;
}
interface StatsReport { bucket: string; by: string; timeZone: string; from: string; to: string; rows: StatsRow[] }

const Colors = ['#2563eb', '#16a34a', '#d97706', '#dc2626', '#7c3aed', '#0891b2'];

type Range = '24h' | '7d' | '30d';

export function Reports({ session }: { session: StaffSession }) {
  const [range, setRange] = useState<Range>('24h');
  const [by, setBy] = useState<'tenant' | 'agent' | 'skill_group'>('tenant');
  const [report, setReport] = useState<StatsReport>();
  const [error, setError] = useState<{ message: string; missing: boolean }>();

  useEffect(() => {
    const to = new Date();
    const from = new Date(to.getTime() - { '24h': 1, '7d': 7, '30d': 30 }[range] * 86_400_000);
    const bucket = range === '24h' ? 'hour' : 'day';
    const tz = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const query = new URLSearchParams({ from: from.toISOString(), to: to.toISOString(), bucket, by, tz });
    setError(undefined);
    call<StatsReport>(session, `/api/history/stats?${query}`)
      .then(setReport)
      .catch(e => setError({ message: e instanceof Error ? e.message : String(e), missing: e instanceof ApiError && e.missing }));
  }, [session, range, by]);

  return (
    <div class="reports" data-testid="reports">
      <div class="row">
        <label>Period <select value={range} onChange={e => setRange((e.target as HTMLSelectElement).value as Range)}>
          <option value="24h">last 24 hours (by hour)</option><option value="7d">last 7 days (by day)</option><option value="30d">last 30 days (by day)</option>
        </select></label>
        <label>By <select value={by} onChange={e => setBy((e.target as HTMLSelectElement).value as typeof by)}>
          <option value="tenant">whole tenant</option><option value="agent">agent</option><option value="skill_group">skill group</option>
        </select></label>
      </div>
      {error && <p class={error.missing ? 'notice' : 'notice error'} data-testid="reports-error">
        {error.missing ? `The history API does not answer here (${error.message}).` : error.message}</p>}
      {report && <ReportView report={report} />}
    </div>
  );
}

function ReportView({ report }: { report: StatsReport }) {
  const buckets = [...new Set(report.rows.map(r => r.bucket))].sort();
  const keys = [...new Set(report.rows.map(r => r.key))].sort();
  if (buckets.length === 0) return <p class="muted" data-testid="reports-empty">No conversations in this period yet.</p>;
  const label = (b: string) => {
    const d = new Date(b);
    return report.bucket === 'hour' ? `${String(d.getHours()).padStart(2, '0')}:00` : `${d.getMonth() + 1}/${d.getDate()}`;
  };
  const labels = buckets.map(label);
  const cell = (bucket: string, key: string) => report.rows.find(r => r.bucket === bucket && r.key === key);
  const perKey = (pick: (r: StatsRow) => number | null) => keys.map((key, i) => ({
    name: key, color: Colors[i % Colors.length], values: buckets.map(b => { const r = cell(b, key); return r ? pick(r) : null; }),
  }));
  const sum = (pick: (r: StatsRow) => number) => report.rows.reduce((n, r) => n + pick(r), 0);
  const totals = {
    conversations: sum(r => r.conversations), messages: sum(r => r.messages), ended: sum(r => r.ended),
    botResolved: sum(r => r.botResolved), transfers: sum(r => r.transfers), hits: sum(r => r.sensitiveWordHits),
  };
  return (
    <>
      <div class="kpis">
        <Kpi name="Conversations" value={totals.conversations} />
        <Kpi name="Messages" value={totals.messages} />
        <Kpi name="Ended" value={totals.ended} />
        <Kpi name="Resolved by the bot" value={totals.botResolved} />
        <Kpi name="Transfers" value={totals.transfers} />
        <Kpi name="Sensitive-word hits" value={totals.hits} />
      </div>
      <div class="charts">
        <BarChart title="Conversations" labels={labels} series={perKey(r => r.conversations)} />
        <BarChart title="Messages" labels={labels} series={perKey(r => r.messages)} />
        <LineChart title="Average first response" unit="seconds" labels={labels} series={perKey(r => r.avgFirstResponseSeconds)} />
        <LineChart title="Average resolution time" unit="seconds" labels={labels} series={perKey(r => r.avgResolutionSeconds)} />
      </div>
    </>
  );
}

function Kpi({ name, value }: { name: string; value: number }) {
  return <div class="card kpi"><span class="muted small">{name}</span><strong>{value.toLocaleString()}</strong></div>;
}
