import { defineProject } from 'vitest/config';

// Files spawn service processes: run them one at a time.
export default defineProject({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
