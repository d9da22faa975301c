import { defineProject } from 'vitest/config';

// Some files start real controller processes: keep files sequential and give them time.
export default defineProject({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
