import { defineConfig } from 'tsup';

export default defineConfig({
  entry: ['src/index.ts', 'src/duration.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: false,
  target: 'node20',
});
