import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import type { Plugin } from 'vite';

// Where `vite dev` and `vite preview` send `/api`: a running gateway.
const api = process.env.GUICHET_API ?? 'http://127.0.0.1:8080';
const proxy = { '/api': { target: api, changeOrigin: false } };

/**
 * `vite dev` and `vite preview` answer the kiosk's and the intranet's page paths with
 * their own `index.html`, as the gateway does (`portal.rs`), not the portal's.
 */
function screens(): Plugin {
  const rewrite = (req: { url?: string }, _res: unknown, next: () => void) => {
    const match = /^\/(borne|agents)(?:\/[^.?]*)?(?:\?.*)?$/.exec(req.url ?? '');
    if (match) req.url = `/${match[1]}/index.html${req.url?.includes('?') ? req.url.slice(req.url.indexOf('?')) : ''}`;
    next();
  };
  return {
    name: 'guichet-screens',
    configureServer: (server) => void server.middlewares.use(rewrite),
    configurePreviewServer: (server) => void server.middlewares.use(rewrite),
  };
}

export default defineConfig({
  plugins: [svelte(), screens()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // Hashed file names under dist/assets/: the gateway caches them for a year.
    assetsDir: 'assets',
    // Read by scripts/size.mjs to know what the first page loads.
    manifest: true,
    // Never inline assets as data: URLs in scripts; small images stay files too.
    assetsInlineLimit: 0,
    rolldownOptions: {
      input: {
        portal: resolve(import.meta.dirname, 'index.html'),
        borne: resolve(import.meta.dirname, 'borne/index.html'),
        agents: resolve(import.meta.dirname, 'agents/index.html'),
      },
    },
  },
  // Hot reload only when asked (GUICHET_VITE_HMR=on): a page reloaded by someone else's
  // edit would break browser tests run against `vite dev`.
  server: { proxy, hmr: process.env.GUICHET_VITE_HMR === 'on' },
  preview: { proxy },
});
