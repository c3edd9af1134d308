import { afterEach, describe, expect, it, vi } from 'vitest';
import { VisitorSession } from '../src/chat/visitor';

/** A Storage kept in a Map: what localStorage is to the widget. */
class MemoryStorage implements Storage {
  private readonly items = new Map<string, string>();
  get length() { return this.items.size; }
  clear() { this.items.clear(); }
  getItem(key: string) { return this.items.get(key) ?? null; }
  key(index: number) { return [...this.items.keys()][index] ?? null; }
  removeItem(key: string) { this.items.delete(key); }
  setItem(key: string, value: string) { this.items.set(key, value); }
}

/** Answers /api/auth/visitor as Admin does: a known secret keeps its id, anything else is a new visitor. */
function admin() {
  const bodies: Record<string, unknown>[] = [];
  const fetchMock = vi.fn(async (_url: URL | string, init?: RequestInit) => {
    const body = JSON.parse(String(init?.body)) as Record<string, unknown>;
    bodies.push(body);
    const secret = typeof body.visitorSecret === 'string' ? body.visitorSecret : `vs-${bodies.length}`;
    return new Response(JSON.stringify({
      accessToken: `token-${bodies.length}`, expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
      tenant: 'demo', visitorId: `v-of-${secret}`, identified: false, visitorSecret: secret,
    }), { status: 200, headers: { 'content-type': 'application/json' } });
  });
  vi.stubGlobal('fetch', fetchMock);
  return bodies;
}

afterEach(() => vi.unstubAllGlobals());

describe('the visitor on this browser', () => {
  it('keeps the secret it was given and sends it, never the id, when it comes back', async () => {
    const bodies = admin();
    const storage = new MemoryStorage();

    const first = new VisitorSession('http://shop.example', 'demo-site-key', storage);
    await first.accessToken();
    const returning = new VisitorSession('http://shop.example', 'demo-site-key', storage);
    await returning.accessToken();

    expect(bodies[0]).toEqual({ siteKey: 'demo-site-key' });
    expect(bodies[1]).toEqual({ siteKey: 'demo-site-key', visitorSecret: 'vs-1' });
    expect(returning.visitorId).toBe('v-of-vs-1');
    expect(storage.getItem('cs-visitor-secret:demo-site-key')).toBe('vs-1');
  });

  it('keeps visitors of different sites apart', async () => {
    const bodies = admin();
    const storage = new MemoryStorage();

    await new VisitorSession('http://shop.example', 'site-a', storage).accessToken();
    await new VisitorSession('http://shop.example', 'site-b', storage).accessToken();

    expect(bodies[1]).toEqual({ siteKey: 'site-b' });
  });
});
