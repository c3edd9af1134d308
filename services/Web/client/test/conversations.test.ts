import { describe, expect, it } from 'vitest';
import { Conversations, type PendingMessage } from '../src/chat/conversations';
import type { ChatMessage, ServerFrame } from '../src/chat/protocol';

const visitor = 'v-1';

function message(seq: number, text: string, from: 'customer' | 'agent' = 'agent', clientId = `m${seq}`): ServerFrame {
  return {
    type: 'message', conversationId: 'conv', seq, clientId, text, sentAt: seq * 1000,
    sender: from === 'customer' ? { kind: 'customer', id: visitor } : { kind: 'agent', id: 'alice', name: 'Alice' },
  };
}

function customerSide(saved: PendingMessage[] = []) {
  let stored = saved;
  const conversations = new Conversations({
    me: () => visitor, customer: true, store: { load: () => stored, save: outbox => { stored = outbox; } },
  });
  return { conversations, stored: () => stored };
}

const texts = (c: Conversations) => c.messagesOf(c.byId.get('conv')!).map((m: ChatMessage) => `${m.seq}:${m.text}`);

describe('Conversations', () => {
  it('keeps one message per seq, in order, whatever order and how often frames arrive', () => {
    const { conversations } = customerSide();
    conversations.apply(message(2, 'two'));
    conversations.apply(message(1, 'one'));
    conversations.apply(message(2, 'two'));
    conversations.apply({ type: 'conversation', conversationId: 'conv', state: 'active', lastSeq: 3, customer: { id: visitor },
      messages: [message(2, 'two'), message(3, 'three')].map(f => { const { type: _, ...m } = f as ChatMessage & { type: string }; return m; }) });
    expect(texts(conversations)).toEqual(['1:one', '2:two', '3:three']);
    expect(conversations.byId.get('conv')!.lastSeq).toBe(3);
  });

  it('resends an unacked message after a reconnect with the same client id, and resumes from the last seq', () => {
    const { conversations } = customerSide();
    conversations.apply(message(1, 'hello'));
    const sent = conversations.write('are you there?', 'conv');
    const again = conversations.framesOnConnect();
    expect(again[0]).toEqual({ type: 'hello', echo: false });
    expect(again).toContainEqual({ type: 'resume', conversationId: 'conv', lastSeq: 1 });
    const resent = again.find(f => f.type === 'message');
    expect(resent).toEqual(sent);
  });

  it('shows a message once when both its ack and its delivery arrive, and forgets it from the outbox', () => {
    const { conversations, stored } = customerSide();
    const sent = conversations.write('my order', undefined);
    if (sent.type !== 'message') throw new Error('not a message');
    expect(stored()).toHaveLength(1);
    conversations.apply({ type: 'ack', conversationId: 'conv', clientId: sent.clientId, seq: 1, duplicate: false });
    conversations.apply(message(1, 'my order', 'customer', sent.clientId));
    expect(texts(conversations)).toEqual(['1:my order']);
    expect(conversations.outbox).toHaveLength(0);
    expect(stored()).toHaveLength(0);
    expect(conversations.framesOnConnect().filter(f => f.type === 'message')).toHaveLength(0);
  });

  it('keeps unacked messages across page loads through its store', () => {
    const first = customerSide();
    first.conversations.write('typed just before a reload', undefined);
    const reloaded = customerSide(first.stored());
    expect(reloaded.conversations.framesOnConnect().filter(f => f.type === 'message')).toHaveLength(1);
  });

  it('writes into a new conversation once the customer\'s last one has ended', () => {
    const { conversations } = customerSide();
    conversations.apply(message(1, 'hi'));
    conversations.apply({ type: 'state', conversationId: 'conv', state: 'ended' });
    expect(conversations.current()).toBeUndefined();
    conversations.write('one more question', 'conv');
    const frame = conversations.framesOnConnect().find(f => f.type === 'message');
    expect(frame && 'conversationId' in frame ? frame.conversationId : undefined).toBeUndefined();
  });

  it('counts the other side\'s messages as unread until a read receipt is sent', () => {
    const { conversations } = customerSide();
    conversations.apply(message(1, 'mine', 'customer'));
    conversations.apply(message(2, 'theirs'));
    conversations.apply(message(3, 'theirs again'));
    const c = conversations.byId.get('conv')!;
    expect(conversations.unread(c)).toBe(2);
    expect(conversations.markRead('conv')).toEqual({ type: 'read', conversationId: 'conv', seq: 3 });
    expect(conversations.unread(c)).toBe(0);
    expect(conversations.markRead('conv')).toBeUndefined();
  });

  it('tracks the queue position, the agent and the peer\'s typing and reading', () => {
    let now = 0;
    const conversations = new Conversations({ me: () => visitor, customer: true, now: () => now });
    conversations.apply({ type: 'queue', conversationId: 'conv', position: 2 });
    expect(conversations.current()!.queuePosition).toBe(2);
    conversations.apply({ type: 'assigned', conversationId: 'conv', agent: { id: 'bob', name: 'Bob' } });
    const c = conversations.current()!;
    expect(c.queuePosition).toBeUndefined();
    expect(c.agent?.name).toBe('Bob');
    conversations.apply({ type: 'typing', conversationId: 'conv', sender: { kind: 'agent', id: 'bob' }, on: true });
    expect(conversations.peerTyping(c)).toBe(true);
    now = 10_000;
    expect(conversations.peerTyping(c)).toBe(false);
    conversations.apply({ type: 'read', conversationId: 'conv', sender: { kind: 'agent', id: 'bob' }, seq: 4 });
    conversations.apply({ type: 'read', conversationId: 'conv', sender: { kind: 'agent', id: 'bob' }, seq: 2 });
    expect(c.peerReadSeq).toBe(4);
  });

  it('marks a refused message as failed with the reason, and a retry sends the same client id', () => {
    const { conversations } = customerSide();
    const sent = conversations.write('blocked words', 'conv');
    if (sent.type !== 'message') throw new Error('not a message');
    conversations.apply({ type: 'error', code: 'invalid', message: 'blocked', clientId: sent.clientId });
    expect(conversations.outbox[0].error).toContain('blocked');
    expect(conversations.framesOnConnect().filter(f => f.type === 'message')).toHaveLength(0);
    expect(conversations.retry(sent.clientId)).toMatchObject({ clientId: sent.clientId, text: 'blocked words' });
  });
});
