import { defineConfig } from 'vitest/config';

// One run over every workspace project so the suite ends with a single summary. Projects that start
// processes keep their own files sequential in their vitest.config.ts.
export default defineConfig({
  test: {
    projects: ['packages/*', 'services/*', 'e2e'],
    maxWorkers: 2,
    reporters: ['default', ['json', { outputFile: 'test-artifacts/vitest.json' }]],
  },
});
