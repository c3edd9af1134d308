// widget.js: the embeddable chat. A page adds
//   <script src="https://CHAT-HOST/widget.js" data-site-key="SITE-KEY" async></script>
// and gets a chat bubble in the corner; everything else comes from the origin that served this script.

import { useEffect, useReducer, useState } from 'preact/hooks';
import { languageOf, wordsFor, type Words } from '../chat/i18n';
import { ChatPanel } from './ChatPanel';
import { CustomerChat } from './customerChat';
import { mountInShadow } from './mount';

function Widget({ chat, words }: { chat: CustomerChat; words: Words }) {
  const [open, setOpen] = useState(false);
  const [, refresh] = useReducer((n: number) => n + 1, 0);
  useEffect(() => chat.conversations.subscribe(() => refresh(0)), [chat]);
  const current = chat.conversations.current();
  const unread = current && !open ? chat.conversations.unread(current) : 0;
  return (
    <>
      {open && (
        <div class="floating">
          <ChatPanel chat={chat} words={words} visible={open} onClose={() => setOpen(false)} />
        </div>
      )}
      <button type="button" class="bubble" aria-label={open ? words.close : words.open} data-testid="chat-bubble" onClick={() => setOpen(!open)}>
        <svg viewBox="0 0 24 24" aria-hidden="true">
          <path d="M4 4h16a2 2 0 0 1 2 2v10a2 2 0 0 1-2 2H9l-5 4v-4H4a2 2 0 0 1-2-2V6a2 2 0 0 1 2-2z" />
        </svg>
        {unread > 0 && <span class="badge" data-testid="unread">{unread}</span>}
      </button>
    </>
  );
}

function start(script: HTMLScriptElement | null): void {
  const siteKey = script?.dataset.siteKey;
  if (!script || !siteKey) {
    console.error('widget.js: add data-site-key="..." to the script tag');
    return;
  }
  const origin = new URL(script.src, location.href).origin;
  const language = languageOf();
  const chat = new CustomerChat(origin, siteKey, language);
  const host = document.createElement('customer-service-chat');
  document.body.append(host);
  mountInShadow(host, <Widget chat={chat} words={wordsFor(language)} />);
  chat.start();
}

// currentScript is only set while this script first runs, async or not; take it before waiting for the body.
const script = document.currentScript as HTMLScriptElement | null;
if (document.body) start(script);
else addEventListener('DOMContentLoaded', () => start(script), { once: true });
