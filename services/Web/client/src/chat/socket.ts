import type { ClientFrame, ServerFrame } from './protocol';

export type LinkState = 'connecting' | 'open' | 'reconnecting' | 'closed' | 'revoked';

export interface ChatSocketOptions {
  /** The socket address with a fresh token; called before every (re)connect. */
  address: () => Promise<string>;
  /** Frames to send as soon as the socket opens (hello, resumes, the outbox). */
  onOpen: () => ClientFrame[];
  onFrame: (frame: ServerFrame) => void;
  onState?: (state: LinkState) => void;
}

/** The close code Session gives a socket whose token was revoked (docs/protocol.md): sign in again, never reconnect. */
export const TokenRevokedClose = 4401;

const PingEvery = 20_000;
const SilentFor = 45_000;
const MaxBackoff = 10_000;
/** Error codes that mean "a dependency did not answer, send it again" (docs/protocol.md, "Errors"). */
const Transient = new Set(['unavailable', 'internal']);

/**
 * One chat socket that keeps itself connected: it reconnects with growing, jittered delays after any drop
 * and closes a socket that has heard nothing for too long (a half-open connection never fires 'close'). A hello
 * the server could not answer (a dependency down, an `unavailable` error before the welcome) is said again, with
 * the same growing delays, on the same socket: without a welcome nothing of the conversations reaches it. A socket
 * closed with {@link TokenRevokedClose} stays closed in state 'revoked'.
 */
export class ChatSocket {
  private socket?: WebSocket;
  private attempts = 0;
  private stopped = true;
  private retryTimer?: ReturnType<typeof setTimeout>;
  private pingTimer?: ReturnType<typeof setInterval>;
  private lastHeard = 0;
  private welcomed = false;
  private helloAttempts = 0;
  private helloTimer?: ReturnType<typeof setTimeout>;
  state: LinkState = 'closed';

  constructor(private readonly options: ChatSocketOptions) {}

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    addEventListener('online', this.reconnectNow);
    void this.connect();
  }

  stop(): void {
    this.stopped = true;
    removeEventListener('online', this.reconnectNow);
    clearTimeout(this.retryTimer);
    clearTimeout(this.helloTimer);
    clearInterval(this.pingTimer);
    this.socket?.close(1000, 'bye');
    this.socket = undefined;
    this.setState('closed');
  }

  /** Sends now when the socket is open; otherwise false (the outbox resends messages on the next open). */
  send(frame: ClientFrame): boolean {
    if (this.socket?.readyState !== WebSocket.OPEN) return false;
    this.socket.send(JSON.stringify(frame));
    return true;
  }

  /** Drops the connection as a lost network would (tests and the "reconnect" button use it). */
  drop(): void {
    this.socket?.close(4000, 'dropped');
  }

  private readonly reconnectNow = () => {
    if (this.stopped || this.socket?.readyState === WebSocket.OPEN) return;
    clearTimeout(this.retryTimer);
    this.attempts = 0;
    void this.connect();
  };

  private async connect(): Promise<void> {
    this.setState(this.attempts === 0 ? 'connecting' : 'reconnecting');
    let address: string;
    try {
      address = await this.options.address();
    } catch {
      this.scheduleRetry();
      return;
    }
    if (this.stopped) return;
    const socket = new WebSocket(address);
    this.socket = socket;
    socket.onopen = () => {
      this.attempts = 0;
      this.welcomed = false;
      this.helloAttempts = 0;
      this.lastHeard = Date.now();
      this.setState('open');
      for (const frame of this.options.onOpen()) socket.send(JSON.stringify(frame));
      clearInterval(this.pingTimer);
      this.pingTimer = setInterval(() => this.keepAlive(socket), PingEvery);
    };
    socket.onmessage = event => {
      this.lastHeard = Date.now();
      let frame: ServerFrame;
      try {
        frame = JSON.parse(String(event.data)) as ServerFrame;
      } catch {
        return;
      }
      if (frame.type === 'welcome') {
        this.welcomed = true;
        this.helloAttempts = 0;
      } else if (frame.type === 'error' && !this.welcomed && !frame.clientId && Transient.has(frame.code)) {
        this.sayHelloAgain(socket);
        return;
      }
      this.options.onFrame(frame);
    };
    socket.onclose = event => {
      if (this.socket !== socket) return;
      clearInterval(this.pingTimer);
      clearTimeout(this.helloTimer);
      this.socket = undefined;
      if (event.code === TokenRevokedClose) {
        this.stopped = true;
        removeEventListener('online', this.reconnectNow);
        this.setState('revoked');
      } else if (!this.stopped) this.scheduleRetry();
    };
  }

  /** The hello (with its resumes and the outbox, all idempotent) again on the same socket, after a growing delay. */
  private sayHelloAgain(socket: WebSocket): void {
    clearTimeout(this.helloTimer);
    this.helloTimer = setTimeout(() => {
      if (this.socket !== socket || socket.readyState !== WebSocket.OPEN || this.welcomed) return;
      for (const frame of this.options.onOpen()) socket.send(JSON.stringify(frame));
    }, backoff(this.helloAttempts++));
  }

  private keepAlive(socket: WebSocket): void {
    if (Date.now() - this.lastHeard > SilentFor) {
      socket.close(4001, 'silent');
      return;
    }
    if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify({ type: 'ping' }));
  }

  private scheduleRetry(): void {
    this.setState('reconnecting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => void this.connect(), backoff(this.attempts++));
  }

  private setState(state: LinkState): void {
    if (this.state === state) return;
    this.state = state;
    this.options.onState?.(state);
  }
}

/** 0.5 s, 1 s, 2 s … up to 10 s, each with half of it random, so many clients do not come back in step. */
function backoff(attempt: number): number {
  const base = Math.min(MaxBackoff, 500 * 2 ** attempt);
  return base / 2 + Math.random() * base / 2;
}

/** ws:// or wss:// address of a socket path on the origin that serves the pages. */
export function socketAddress(origin: string, path: string, token: string): string {
  const url = new URL(path, origin);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  url.searchParams.set('access_token', token);
  return url.toString();
}
