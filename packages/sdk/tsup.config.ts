import { defineConfig } from 'tsup';

// Two entries: the authoring/runtime API compiled into every pipeline bundle (kept free of zod and yaml),
// and `@sparkwing/sdk/config` (sparkwing.yaml parsing) used by the runner and the CLI.
export default defineConfig({
  entry: ['src/index.ts', 'src/config.ts'],
  format: ['esm'],
  dts: true,
  sourcemap: true,
  clean: false,
  target: 'node20',
});
