// The full-page chat for phones (H5): /chat?siteKey=... with the same chat as the widget, filling the screen.

import { languageOf, wordsFor } from './i18n';
import { ChatPanel } from '../widget/ChatPanel';
import { CustomerChat } from '../widget/customerChat';
import { mountInShadow } from '../widget/mount';

const siteKey = new URLSearchParams(location.search).get('siteKey');
const host = document.getElementById('chat')!;
if (!siteKey) {
  host.textContent = 'Add ?siteKey=... to the address (for the demo: /chat?siteKey=demo-site-key).';
} else {
  const language = languageOf();
  document.documentElement.lang = language;
  const words = wordsFor(language);
  document.title = words.title;
  const chat = new CustomerChat(location.origin, siteKey, language);
  mountInShadow(host, <div class="fullpage"><ChatPanel chat={chat} words={words} visible /></div>);
  chat.start();
}
