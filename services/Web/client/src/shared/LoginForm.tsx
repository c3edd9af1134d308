import { useState } from 'preact/hooks';
import { login, type StaffSession } from './staff';

interface Props {
  title: string;
  hint: string;
  onSignedIn: (session: StaffSession) => void;
  /** Why the person is asked to sign in (again): their previous sign-in was revoked, say. */
  notice?: string;
}

export function LoginForm({ title, hint, onSignedIn, notice }: Props) {
  const [tenant, setTenant] = useState('demo');
  const [name, setName] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      onSignedIn(await login(tenant.trim(), name.trim(), password));
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="card login" onSubmit={submit} data-testid="login">
      <h1>{title}</h1>
      <p class="muted">{hint}</p>
      {notice && <p class="notice" role="status" data-testid="login-notice">{notice}</p>}
      <label for="tenant">Tenant</label>
      <input id="tenant" name="tenant" value={tenant} onInput={e => setTenant((e.target as HTMLInputElement).value)} />
      <label for="login">Login</label>
      <input id="login" name="login" autocomplete="username" value={name} required
        onInput={e => setName((e.target as HTMLInputElement).value)} />
      <label for="password">Password</label>
      <input id="password" name="password" type="password" autocomplete="current-password" value={password} required
        onInput={e => setPassword((e.target as HTMLInputElement).value)} />
      {error && <p class="notice error" role="alert">{error}</p>}
      <button type="submit" class="primary" disabled={busy}>Sign in</button>
    </form>
  );
}
