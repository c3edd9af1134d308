import { useEffect, useState } from 'preact/hooks';
import { ApiError, callWithHeaders, type StaffSession } from '../shared/staff';
import type { SectionInfo } from './sections';
import { CannedRepliesForm, SensitiveWordsForm } from './forms';

type Loaded = { state: 'loading' } | { state: 'failed'; message: string; missing: boolean } | { state: 'ready'; document: unknown; version: string };

/**
 * One configuration section: read with its version (ETag), edited as a form where one fits and always as JSON,
 * written back with If-Match so two admins cannot silently overwrite each other.
 */
export function SectionEditor({ session, section }: { session: StaffSession; section: SectionInfo }) {
  const [loaded, setLoaded] = useState<Loaded>({ state: 'loading' });
  const [text, setText] = useState('');
  const [result, setResult] = useState<{ ok: boolean; message: string }>();
  const [reloads, setReloads] = useState(0);
  const canWrite = session.role === 'admin';
  const path = `/api/admin/config/${section.name}`;

  useEffect(() => {
    setLoaded({ state: 'loading' });
    setResult(undefined);
    callWithHeaders<unknown>(session, path)
      .then(({ body, headers }) => {
        setLoaded({ state: 'ready', document: body, version: headers.get('etag') ?? '' });
        setText(JSON.stringify(body, null, 2));
      })
      .catch(e => setLoaded({
        state: 'failed', missing: e instanceof ApiError && e.missing,
        message: e instanceof Error ? e.message : String(e),
      }));
  }, [session, path, reloads]);

  if (loaded.state === 'loading') return <p class="muted">Loading…</p>;
  if (loaded.state === 'failed')
    return <p class={loaded.missing ? 'notice' : 'notice error'} data-testid="section-error">
      {loaded.missing ? `The Admin API does not serve ${path} here yet (${loaded.message}).` : loaded.message}
    </p>;

  let parsed: unknown;
  let parseError: string | undefined;
  try { parsed = JSON.parse(text); } catch (e) { parseError = (e as Error).message; }

  const save = async (document: unknown) => {
    setResult(undefined);
    try {
      const { body, headers } = await callWithHeaders<{ version: number }>(session, path, {
        method: 'PUT', body: document, headers: loaded.version ? { 'if-match': loaded.version } : {},
      });
      setLoaded({ state: 'ready', document, version: headers.get('etag') ?? `"${body.version}"` });
      setText(JSON.stringify(document, null, 2));
      setResult({ ok: true, message: `Saved: version ${body.version}. Running services apply it within a second.` });
    } catch (e) {
      setResult({ ok: false, message: e instanceof Error ? e.message : String(e) });
    }
  };

  const form = section.name === 'sensitive_words' ? SensitiveWordsForm : section.name === 'canned_replies' ? CannedRepliesForm : undefined;
  return (
    <div class="section-editor">
      <p class="muted">Version {loaded.version || '(none yet)'}{canWrite ? '' : ' · read only: only admins change configuration.'}</p>
      {result && <p class={result.ok ? 'notice ok' : 'notice error'} role="status" data-testid="save-result">{result.message}</p>}
      {form && !parseError && form({ document: parsed, readOnly: !canWrite, onChange: d => setText(JSON.stringify(d, null, 2)) })}
      <details open={!form}>
        <summary>JSON document</summary>
        <textarea class="json" spellcheck={false} value={text} readOnly={!canWrite} data-testid="json"
          onInput={e => setText((e.target as HTMLTextAreaElement).value)} />
      </details>
      {parseError && <p class="notice error">Not valid JSON: {parseError}</p>}
      {canWrite && (
        <div class="buttons">
          <button type="button" class="primary" disabled={!!parseError} onClick={() => void save(parsed)} data-testid="save">Save</button>
          <button type="button" onClick={() => setReloads(reloads + 1)}>Reload</button>
        </div>
      )}
    </div>
  );
}
