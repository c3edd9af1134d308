import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ChatSocket, TokenRevokedClose, type LinkState } from '../src/chat/socket';
import type { ClientFrame, ServerFrame } from '../src/chat/protocol';

/** The browser's WebSocket as ChatSocket uses it, driven by the test: what the page sent, and the server's side. */
class ScriptedSocket {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 3;
  static opened: ScriptedSocket[] = [];
  readyState = ScriptedSocket.CONNECTING;
  readonly sent: ClientFrame[] = [];
  onopen?: () => void;
  onmessage?: (event: { data: string }) => void;
  onclose?: (event: { code: number }) => void;

  constructor(readonly url: string) {
    ScriptedSocket.opened.push(this);
  }

  send(text: string): void {
    this.sent.push(JSON.parse(text) as ClientFrame);
  }

  close(code = 1000): void {
    this.serverCloses(code);
  }

  open(): void {
    this.readyState = ScriptedSocket.OPEN;
    this.onopen?.();
  }

  receive(frame: ServerFrame): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverCloses(code: number): void {
    if (this.readyState === ScriptedSocket.CLOSED) return;
    this.readyState = ScriptedSocket.CLOSED;
    this.onclose?.({ code });
  }

  hellos(): number {
    return this.sent.filter(f => f.type === 'hello').length;
  }
}

const welcome: ServerFrame = { type: 'welcome', userId: 'alice', role: 'agent', conversations: [] } as unknown as ServerFrame;
const unavailable: ServerFrame = { type: 'error', code: 'unavailable', message: 'a dependency does not answer; send it again' };

function chatSocket() {
  const frames: ServerFrame[] = [];
  const states: LinkState[] = [];
  const socket = new ChatSocket({
    address: async () => 'ws://platform.test/ws/agent?access_token=t',
    onOpen: () => [{ type: 'hello', status: 'online', echo: false }],
    onFrame: frame => frames.push(frame),
    onState: state => states.push(state),
  });
  return { socket, frames, states };
}

async function opened(): Promise<ScriptedSocket> {
  await vi.waitFor(() => expect(ScriptedSocket.opened.length).toBeGreaterThan(0));
  const socket = ScriptedSocket.opened[ScriptedSocket.opened.length - 1]!;
  socket.open();
  return socket;
}

describe('ChatSocket', () => {
  beforeEach(() => {
    ScriptedSocket.opened = [];
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    vi.stubGlobal('WebSocket', ScriptedSocket);
    vi.stubGlobal('addEventListener', () => {});
    vi.stubGlobal('removeEventListener', () => {});
  });

  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('says hello again on the same socket when the server could not answer it, until the welcome comes', async () => {
    const { socket, frames } = chatSocket();
    socket.start();
    const server = await opened();
    expect(server.hellos()).toBe(1);

    server.receive(unavailable);
    vi.advanceTimersByTime(600);
    expect(server.hellos()).toBe(2);
    server.receive({ ...unavailable, code: 'internal' });
    vi.advanceTimersByTime(1100);
    expect(server.hellos()).toBe(3);

    server.receive(welcome);
    expect(frames.map(f => f.type)).toEqual(['welcome']);
    expect(ScriptedSocket.opened).toHaveLength(1);
    socket.stop();
  });

  it('passes on errors after the welcome, and errors about a message, without saying hello again', async () => {
    const { socket, frames } = chatSocket();
    socket.start();
    const server = await opened();
    server.receive({ ...unavailable, clientId: 'm-1' });
    server.receive(welcome);
    server.receive(unavailable);
    vi.advanceTimersByTime(20_000);
    expect(server.hellos()).toBe(1);
    expect(frames.map(f => f.type)).toEqual(['error', 'welcome', 'error']);
    socket.stop();
  });

  it('stays closed in state revoked when the server closes with 4401, and reconnects after any other close', async () => {
    const { socket, states } = chatSocket();
    socket.start();
    const first = await opened();
    first.serverCloses(1006);
    vi.advanceTimersByTime(600);
    const second = await opened();
    expect(ScriptedSocket.opened).toHaveLength(2);

    second.serverCloses(TokenRevokedClose);
    vi.advanceTimersByTime(60_000);
    expect(ScriptedSocket.opened).toHaveLength(2);
    expect(states[states.length - 1]).toBe('revoked');
  });
});
