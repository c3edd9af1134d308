import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LoginForm } from '../shared/LoginForm';
import { forget, savedSession, type StaffSession } from '../shared/staff';
import { AgentDesk } from './agentDesk';
import { Console } from './Console';
import '../shared/site.css';
import './console.css';

function App() {
  const [notice, setNotice] = useState<string>();
  const open = (session: StaffSession) => new AgentDesk(session, reason => {
    forget();
    setNotice(reason);
    setDesk(undefined);
  });
  const [desk, setDesk] = useState<AgentDesk | undefined>(() => {
    const saved = savedSession();
    return saved ? open(saved) : undefined;
  });
  useEffect(() => {
    desk?.start();
    return () => desk?.stop();
  }, [desk]);

  if (!desk)
    return <LoginForm title="Agent console" hint="Demo agents: alice / alice123, bob / bob123 (tenant demo)."
      notice={notice} onSignedIn={(session: StaffSession) => { setNotice(undefined); setDesk(open(session)); }} />;
  return <Console desk={desk} onSignOut={() => { forget(); setDesk(undefined); }} />;
}

render(<App />, document.getElementById('app')!);
