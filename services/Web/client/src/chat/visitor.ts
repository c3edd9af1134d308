// The visitor's identity on this browser: the secret Admin handed out is kept in localStorage so a returning
// visitor sees their earlier conversations (the id, which staff see, is derived from it and proves nothing); the
// token is asked for again when it is about to expire.

import type { PendingMessage } from './conversations';

export interface VisitorToken { accessToken: string; expiresAt: string; tenant: string; visitorId: string; visitorSecret?: string }

const Renew = 60_000;

export class VisitorSession {
  private token?: VisitorToken;

  constructor(private readonly origin: string, private readonly siteKey: string, private readonly storage: Storage = localStorage) {}

  private get key(): string {
    return `cs-visitor:${this.siteKey}`;
  }

  private get secretKey(): string {
    return `cs-visitor-secret:${this.siteKey}`;
  }

  get visitorId(): string | undefined {
    return this.token?.visitorId ?? this.storage.getItem(this.key) ?? undefined;
  }

  async accessToken(): Promise<string> {
    if (this.token && Date.parse(this.token.expiresAt) - Date.now() > Renew) return this.token.accessToken;
    const response = await fetch(new URL('/api/auth/visitor', this.origin), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ siteKey: this.siteKey, visitorSecret: this.storage.getItem(this.secretKey) ?? undefined }),
    });
    if (!response.ok) throw new Error(`visitor token: HTTP ${response.status}`);
    this.token = (await response.json()) as VisitorToken;
    this.storage.setItem(this.key, this.token.visitorId);
    if (this.token.visitorSecret) this.storage.setItem(this.secretKey, this.token.visitorSecret);
    return this.token.accessToken;
  }

  /** The outbox survives a reload, so a message typed just before it is still delivered (once). */
  outboxStore(): { load(): PendingMessage[]; save(outbox: PendingMessage[]): void } {
    const key = `cs-outbox:${this.siteKey}`;
    return {
      load: () => {
        try {
          const saved = JSON.parse(this.storage.getItem(key) ?? '[]');
          return Array.isArray(saved) ? (saved as PendingMessage[]) : [];
        } catch {
          return [];
        }
      },
      save: outbox => {
        if (outbox.length === 0) this.storage.removeItem(key);
        else this.storage.setItem(key, JSON.stringify(outbox));
      },
    };
  }
}
