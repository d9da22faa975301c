import { defineProject } from 'vitest/config';

// Every file here starts real processes: run files one at a time with generous timeouts.
export default defineProject({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['**/node_modules/**'],
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
