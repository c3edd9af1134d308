import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { LoginForm } from '../shared/LoginForm';
import { forget, savedSession, type StaffSession } from '../shared/staff';
import { AgentDesk } from './agentDesk';
import { Console } from './Console';
import '../shared/site.css';
import './console.css';

function App() {
  const [desk, setDesk] = useState<AgentDesk | undefined>(() => {
    const saved = savedSession();
    return saved ? new AgentDesk(saved) : undefined;
  });
  useEffect(() => {
    desk?.start();
    return () => desk?.stop();
  }, [desk]);

  if (!desk)
    return <LoginForm title="Agent console" hint="Demo agents: alice / alice123, bob / bob123 (tenant demo)."
      onSignedIn={(session: StaffSession) => setDesk(new AgentDesk(session))} />;
  return <Console desk={desk} onSignOut={() => { forget(); setDesk(undefined); }} />;
}

render(<App />, document.getElementById('app')!);
