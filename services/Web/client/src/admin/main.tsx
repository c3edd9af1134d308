import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LoginForm } from '../shared/LoginForm';
import { forget, savedSession, type StaffSession } from '../shared/staff';
import { People } from './People';
import { Reports } from './Reports';
import { SectionEditor } from './SectionEditor';
import { sections } from './sections';
import '../shared/site.css';
import './admin.css';

const pages = [
  { id: 'reports', title: 'Reports' },
  { id: 'agents', title: 'Agents' },
  { id: 'skill-groups', title: 'Skill groups' },
  ...sections.map(s => ({ id: s.name, title: s.title })),
];

function useHashPage(): string {
  const read = () => location.hash.replace(/^#\/?/, '') || 'reports';
  const [page, setPage] = useState(read);
  useEffect(() => {
    const onHash = () => setPage(read());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return page;
}

function App() {
  const [session, setSession] = useState<StaffSession | undefined>(savedSession);
  const page = useHashPage();
  if (!session)
    return <LoginForm title="Administration" hint="Admins change configuration; supervisors may read it and see reports. Demo: admin / admin123, carol / carol123."
      onSignedIn={setSession} />;
  if (session.role !== 'admin' && session.role !== 'supervisor')
    return (
      <div class="card login">
        <p class="notice error">The administration pages are for admins and supervisors; {session.name} is an {session.role}.</p>
        <button type="button" onClick={() => { forget(); setSession(undefined); }}>Sign in as someone else</button>
      </div>
    );
  const section = sections.find(s => s.name === page);
  const title = pages.find(p => p.id === page)?.title ?? 'Reports';
  return (
    <div class="admin">
      <header class="topbar">
        <strong>Administration</strong>
        <a href="/console/">Agent console</a>
        <span class="spacer" />
        <span>{session.name} <span class="muted">({session.role}, tenant {session.tenant})</span></span>
        <button type="button" onClick={() => { forget(); setSession(undefined); }}>Sign out</button>
      </header>
      <div class="layout">
        <nav class="side">
          {pages.map(p => <a key={p.id} href={`#/${p.id}`} class={p.id === page ? 'active' : ''}>{p.title}</a>)}
        </nav>
        <main class="content">
          <h1>{title}</h1>
          {section && <p class="muted">{section.what}</p>}
          {page === 'agents' && <People session={session} path="/api/admin/agents" what="Agents" />}
          {page === 'skill-groups' && <People session={session} path="/api/admin/skill-groups" what="Skill groups" />}
          {section && <SectionEditor key={section.name} session={session} section={section} />}
          {!section && page !== 'agents' && page !== 'skill-groups' && <Reports session={session} />}
        </main>
      </div>
    </div>
  );
}

render(<App />, document.getElementById('app')!);
