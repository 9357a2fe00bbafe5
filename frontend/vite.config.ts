import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

// Four pages: the map application, the chrome-less map other sites frame, the workspace of the
// authority's staff, and the territory dashboards (/territories/{code}).
export default defineConfig({
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    // MapLibre alone is larger than Vite's default warning threshold.
    chunkSizeWarningLimit: 1200,
    rollupOptions: {
      input: {
        index: resolve(import.meta.dirname, 'index.html'),
        embed: resolve(import.meta.dirname, 'embed.html'),
        workspace: resolve(import.meta.dirname, 'workspace.html'),
        territory: resolve(import.meta.dirname, 'territory.html'),
      },
      output: {
        // MapLibre in a chunk of its own: it changes less often than our code, so it stays cached.
        manualChunks(id: string) {
          return id.includes('/node_modules/maplibre-gl/') ? 'maplibre' : undefined;
        },
      },
    },
  },
  server: {
    proxy: { '/api': 'http://127.0.0.1:18080' },
  },
  test: {
    include: ['test/**/*.test.ts'],
    environment: 'node',
  },
});
