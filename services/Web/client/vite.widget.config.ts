import { resolve } from 'node:path';
import { defineConfig } from 'vite';

// widget.js: one self-contained classic script with a stable name, so the snippet
// <script src="/widget.js" data-site-key="..." async> works on any page.
export default defineConfig({
  root: import.meta.dirname,
  publicDir: false,
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: resolve(import.meta.dirname, '../wwwroot'),
    emptyOutDir: false,
    target: 'es2020',
    lib: {
      entry: resolve(import.meta.dirname, 'src/widget/embed.tsx'),
      name: 'CustomerServiceWidget',
      formats: ['iife'],
      fileName: () => 'widget.js',
    },
  },
});
