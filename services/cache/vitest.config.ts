import { defineProject } from 'vitest/config';

// Files spawn the service and git processes: run them one at a time on this 2-core machine.
export default defineProject({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
