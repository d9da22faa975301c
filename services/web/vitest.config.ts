import { defineProject } from 'vitest/config';

// Test files start real controller, logs and web processes (and Chromium): run them one at a time.
export default defineProject({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
