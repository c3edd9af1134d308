import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// The pages (landing, demo shop, H5 chat, console, admin) as one multi-page build into the Web service's
// wwwroot. The embeddable widget is a separate classic-script build (vite.widget.config.ts) because a
// third-party page loads it with a plain <script> tag, not as a module.
const page = (path: string) => resolve(import.meta.dirname, path);

export default defineConfig({
  root: import.meta.dirname,
  base: '/',
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: page('../wwwroot'),
    emptyOutDir: true,
    target: 'es2022',
    rollupOptions: {
      input: {
        landing: page('index.html'),
        shop: page('shop/index.html'),
        chat: page('chat/index.html'),
        console: page('console/index.html'),
        admin: page('admin/index.html'),
      },
    },
  },
  server: {
    // `npm run dev` talks to a platform started with `make run`.
    proxy: {
      '/api': 'http://localhost:8080',
      '/ws': { target: 'ws://localhost:8080', ws: true },
    },
  },
});
