// The signed-in person of the console and the admin pages, and calls to the platform's HTTP APIs with their token.

export interface StaffSession {
  accessToken: string;
  expiresAt: string;
  tenant: string;
  accountId: string;
  role: 'agent' | 'supervisor' | 'admin' | string;
  name: string;
  skillGroups: string[];
}

/** An HTTP API's refusal, from its ProblemDetails when it sent one. */
export class ApiError extends Error {
  constructor(readonly status: number, readonly title: string, readonly detail?: string) {
    super(detail ? `${title}: ${detail}` : title);
  }

  /** The API is not there (yet): no route, or the service behind it is down. */
  get missing(): boolean {
    return this.status === 404 || this.status === 502 || this.status === 503 || this.status === 504;
  }
}

// sessionStorage: a tab keeps its login across reloads, and closing it signs out.
const StoreKey = 'cs-staff';

export function savedSession(): StaffSession | undefined {
  try {
    const saved = JSON.parse(sessionStorage.getItem(StoreKey) ?? 'null') as StaffSession | null;
    return saved && Date.parse(saved.expiresAt) > Date.now() ? saved : undefined;
  } catch {
    return undefined;
  }
}

export function forget(): void {
  sessionStorage.clear();
}

export async function login(tenant: string, loginName: string, password: string): Promise<StaffSession> {
  const session = await call<StaffSession>(undefined, '/api/auth/login', { method: 'POST', body: { tenant, login: loginName, password } });
  sessionStorage.setItem(StoreKey, JSON.stringify(session));
  return session;
}

export interface CallInit { method?: string; body?: unknown; signal?: AbortSignal; headers?: Record<string, string> }

export async function call<T>(session: StaffSession | undefined, path: string, init: CallInit = {}): Promise<T> {
  return (await callWithHeaders<T>(session, path, init)).body;
}

/** The answer with its headers, for APIs that version documents with ETags. */
export async function callWithHeaders<T>(
  session: StaffSession | undefined, path: string, init: CallInit = {},
): Promise<{ body: T; headers: Headers }> {
  const headers: Record<string, string> = { accept: 'application/json', ...init.headers };
  if (session) headers.authorization = `Bearer ${session.accessToken}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(path, {
      method: init.method ?? 'GET', headers, signal: init.signal,
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
  } catch (e) {
    throw new ApiError(0, 'Network error', e instanceof Error ? e.message : String(e));
  }
  const text = await response.text();
  const json = text && (response.headers.get('content-type') ?? '').includes('json') ? safeParse(text) : undefined;
  if (!response.ok) {
    const problem = (json ?? {}) as { title?: string; detail?: string; errors?: Record<string, string[]> };
    const detail = problem.detail ?? (problem.errors ? Object.values(problem.errors).flat().join(' ') : undefined);
    throw new ApiError(response.status, problem.title ?? `HTTP ${response.status}`, detail);
  }
  return { body: json as T, headers: response.headers };
}

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
