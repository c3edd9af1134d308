import { Conversations } from '../chat/conversations';
import { ChatSocket, socketAddress, type LinkState } from '../chat/socket';
import { VisitorSession } from '../chat/visitor';

const TypingRefresh = 3000;
const TypingIdle = 4000;

/** The customer's side of the chat: one visitor session, one socket, the conversations it holds. */
export class CustomerChat {
  readonly session: VisitorSession;
  readonly conversations: Conversations;
  readonly socket: ChatSocket;
  link: LinkState = 'closed';
  private readonly linkListeners = new Set<() => void>();
  private typingSentAt = 0;
  private typingOff?: ReturnType<typeof setTimeout>;

  constructor(origin: string, siteKey: string, private readonly language: string) {
    this.session = new VisitorSession(origin, siteKey);
    this.conversations = new Conversations({ me: () => this.session.visitorId, customer: true, store: this.session.outboxStore() });
    this.socket = new ChatSocket({
      address: async () => socketAddress(origin, '/ws/customer', await this.session.accessToken()),
      onOpen: () => this.conversations.framesOnConnect(),
      onFrame: frame => this.conversations.apply(frame),
      onState: state => {
        this.link = state;
        for (const l of this.linkListeners) l();
      },
    });
  }

  start(): void {
    this.socket.start();
  }

  onLink(listener: () => void): () => void {
    this.linkListeners.add(listener);
    return () => this.linkListeners.delete(listener);
  }

  send(text: string): void {
    const body = text.trim();
    if (!body) return;
    this.stopTyping();
    const current = this.conversations.current();
    const frame = this.conversations.write(body, current?.id, current ? undefined : { entryPage: this.entryPage(), language: this.language });
    this.socket.send(frame);
  }

  retry(clientId: string): void {
    const frame = this.conversations.retry(clientId);
    if (frame) this.socket.send(frame);
  }

  /** Called on every keystroke: tells the agent at most every few seconds, and "stopped" after a pause. */
  typing(): void {
    const current = this.conversations.current();
    if (!current) return;
    const now = Date.now();
    if (now - this.typingSentAt > TypingRefresh) {
      this.typingSentAt = now;
      this.socket.send({ type: 'typing', conversationId: current.id, on: true });
    }
    clearTimeout(this.typingOff);
    this.typingOff = setTimeout(() => this.stopTyping(), TypingIdle);
  }

  /** Read receipt for what the customer has on screen. */
  seen(): void {
    const current = this.conversations.current();
    if (!current) return;
    const frame = this.conversations.markRead(current.id);
    if (frame) this.socket.send(frame);
  }

  end(): void {
    const current = this.conversations.current();
    if (current) this.socket.send({ type: 'end', conversationId: current.id, reason: 'customer' });
  }

  private stopTyping(): void {
    clearTimeout(this.typingOff);
    if (this.typingSentAt === 0) return;
    this.typingSentAt = 0;
    const current = this.conversations.current();
    if (current) this.socket.send({ type: 'typing', conversationId: current.id, on: false });
  }

  private entryPage(): string {
    // The page the widget sits on; the H5 page says where the customer came from when it was given.
    return new URLSearchParams(location.search).get('from') ?? location.pathname;
  }
}
