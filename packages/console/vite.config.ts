import { defineConfig } from 'vite';

// Preact through esbuild's automatic JSX runtime: no Babel, no plugin. The protocol package is read
// from its TypeScript sources (the "source" export condition), so the console and the server share
// one copy of the segment maths and the wire types.
export default defineConfig({
  base: '/console/',
  resolve: { conditions: ['source', 'module', 'browser', 'import', 'default'] },
  esbuild: { jsx: 'automatic', jsxImportSource: 'preact' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // One small app: keep it to one script and one stylesheet.
    modulePreload: { polyfill: false },
    reportCompressedSize: false,
  },
  server: {
    // `npm run dev -w @switchboard/console` next to a running server (npm start) for hot reloading.
    proxy: { '/api': 'http://127.0.0.1:8080' },
  },
});
