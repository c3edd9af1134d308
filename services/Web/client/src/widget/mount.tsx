import { render } from 'preact';
import type { ComponentChild } from 'preact';
import css from './chat.css?inline';

/**
 * Renders into a shadow root of a new element, so neither the host page's CSS nor its scripts' DOM
 * queries reach the chat, and the chat's styles stay inside it.
 */
export function mountInShadow(host: HTMLElement, ui: ComponentChild): void {
  const root = host.attachShadow({ mode: 'open' });
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(css);
  root.adoptedStyleSheets = [sheet];
  const container = document.createElement('div');
  container.className = 'root';
  root.append(container);
  render(ui, container);
}
