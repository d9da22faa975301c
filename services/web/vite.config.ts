import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

// The browser app lives in app/ and is built next to the server bundle: dist/public.
export default defineConfig({
  root: here('./app'),
  plugins: [react()],
  resolve: {
    // The contracts bundle also holds node-token signing; the browser never calls it.
    alias: { 'node:crypto': here('./app/src/lib/no-crypto.ts'), crypto: here('./app/src/lib/no-crypto.ts') },
  },
  build: {
    outDir: here('./dist/public'),
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
});
