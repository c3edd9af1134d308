// Friendlier editors for the sections people edit most; the JSON editor below them stays the full view.

interface FormProps { document: unknown; readOnly: boolean; onChange: (document: unknown) => void }

interface WordList { name: string; policy: 'flag' | 'mask' | 'block'; words: string[] }

export function SensitiveWordsForm({ document, readOnly, onChange }: FormProps) {
  const lists = ((document as { lists?: WordList[] })?.lists ?? []);
  const update = (next: WordList[]) => onChange({ ...(document as object), lists: next });
  const set = (i: number, patch: Partial<WordList>) => update(lists.map((l, j) => (j === i ? { ...l, ...patch } : l)));
  return (
    <div class="form" data-testid="sensitive-words-form">
      {lists.map((list, i) => (
        <fieldset key={i}>
          <div class="row">
            <input value={list.name} disabled={readOnly} aria-label="List name" placeholder="List name"
              onInput={e => set(i, { name: (e.target as HTMLInputElement).value })} />
            <select value={list.policy} disabled={readOnly} aria-label="Policy"
              onChange={e => set(i, { policy: (e.target as HTMLSelectElement).value as WordList['policy'] })}>
              <option value="flag">flag</option><option value="mask">mask</option><option value="block">block</option>
            </select>
            {!readOnly && <button type="button" class="danger" onClick={() => update(lists.filter((_, j) => j !== i))}>Remove list</button>}
          </div>
          <textarea rows={4} value={list.words.join('\n')} disabled={readOnly} aria-label="Words, one per line"
            onInput={e => set(i, { words: (e.target as HTMLTextAreaElement).value.split('\n').map(w => w.trim()).filter(Boolean) })} />
          <p class="muted small">{list.words.length} words, one per line.</p>
        </fieldset>
      ))}
      {!readOnly && <button type="button" onClick={() => update([...lists, { name: `list ${lists.length + 1}`, policy: 'mask', words: [] }])}>Add a list</button>}
    </div>
  );
}

interface Reply { shortcut: string; title?: string | null; text: string }
interface Group { name: string; replies: Reply[] }

export function CannedRepliesForm({ document, readOnly, onChange }: FormProps) {
  const groups = ((document as { groups?: Group[] })?.groups ?? []);
  const update = (next: Group[]) => onChange({ ...(document as object), groups: next });
  const setGroup = (g: number, patch: Partial<Group>) => update(groups.map((x, j) => (j === g ? { ...x, ...patch } : x)));
  const setReply = (g: number, r: number, patch: Partial<Reply>) =>
    setGroup(g, { replies: groups[g].replies.map((x, j) => (j === r ? { ...x, ...patch } : x)) });
  return (
    <div class="form" data-testid="canned-replies-form">
      {groups.map((group, g) => (
        <fieldset key={g}>
          <div class="row">
            <input value={group.name} disabled={readOnly} aria-label="Group name" placeholder="Group name"
              onInput={e => setGroup(g, { name: (e.target as HTMLInputElement).value })} />
            {!readOnly && <button type="button" class="danger" onClick={() => update(groups.filter((_, j) => j !== g))}>Remove group</button>}
          </div>
          <table>
            <thead><tr><th>Shortcut</th><th>Title</th><th>Text</th><th /></tr></thead>
            <tbody>
              {group.replies.map((reply, r) => (
                <tr key={r}>
                  <td><input value={reply.shortcut} disabled={readOnly} aria-label="Shortcut" onInput={e => setReply(g, r, { shortcut: (e.target as HTMLInputElement).value })} /></td>
                  <td><input value={reply.title ?? ''} disabled={readOnly} aria-label="Title" onInput={e => setReply(g, r, { title: (e.target as HTMLInputElement).value || null })} /></td>
                  <td><textarea rows={2} value={reply.text} disabled={readOnly} aria-label="Text" onInput={e => setReply(g, r, { text: (e.target as HTMLTextAreaElement).value })} /></td>
                  <td>{!readOnly && <button type="button" class="danger" onClick={() => setGroup(g, { replies: group.replies.filter((_, j) => j !== r) })}>×</button>}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {!readOnly && <button type="button" onClick={() => setGroup(g, { replies: [...group.replies, { shortcut: '', title: null, text: '' }] })}>Add a reply</button>}
        </fieldset>
      ))}
      {!readOnly && <button type="button" onClick={() => update([...groups, { name: `group ${groups.length + 1}`, replies: [] }])}>Add a group</button>}
    </div>
  );
}
