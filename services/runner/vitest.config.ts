import { defineProject } from 'vitest/config';

// Files spawn service and node processes: keep them sequential and give them time.
export default defineProject({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
