import { resolve } from 'node:path';
import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// Where `vite dev` and `vite preview` send `/api`: a running gateway.
const api = process.env.GUICHET_API ?? 'http://127.0.0.1:8080';
const proxy = { '/api': { target: api, changeOrigin: false } };

export default defineConfig({
  plugins: [svelte()],
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
      },
    },
  },
  server: { proxy },
  preview: { proxy },
});
