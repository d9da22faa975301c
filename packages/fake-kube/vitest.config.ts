import { defineProject } from 'vitest/config';

// The tests start processes through the fake kubelet and wait for TTLs and deadlines of about a second.
export default defineProject({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
