import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, type StaffSession } from '../shared/staff';

type Rows = Record<string, unknown>[];

/**
 * Agents or skill groups from the Admin API. The API's shape is taken as it comes (a list of objects shown as a
 * table), so the page keeps working as fields are added.
 */
export function People({ session, path, what }: { session: StaffSession; path: string; what: string }) {
  const [rows, setRows] = useState<Rows>();
  const [error, setError] = useState<{ message: string; missing: boolean }>();
  useEffect(() => {
    setRows(undefined);
    setError(undefined);
    call<Rows | { items: Rows }>(session, path)
      .then(body => setRows(Array.isArray(body) ? body : body.items ?? []))
      .catch(e => setError({ message: e instanceof Error ? e.message : String(e), missing: e instanceof ApiError && e.missing }));
  }, [session, path]);

  if (error)
    return <p class={error.missing ? 'notice' : 'notice error'} data-testid="people-error">
      {error.missing ? `${what}: the Admin API has no ${path} here yet (${error.message}). The demo tenant's accounts are listed on the landing page.` : error.message}
    </p>;
  if (!rows) return <p class="muted">Loading…</p>;
  if (rows.length === 0) return <p class="muted">None.</p>;
  const columns = [...new Set(rows.flatMap(r => Object.keys(r)))];
  return (
    <table>
      <thead><tr>{columns.map(c => <th key={c}>{c}</th>)}</tr></thead>
      <tbody>{rows.map((r, i) => (
        <tr key={i}>{columns.map(c => <td key={c}>{show(r[c])}</td>)}</tr>
      ))}</tbody>
    </table>
  );
}

function show(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(show).join(', ');
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}
