import { defineProject } from 'vitest/config';

// Local-mode tests spawn the CLI (which runs nodes as processes): keep files sequential.
export default defineProject({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    fileParallelism: false,
    testTimeout: 60_000,
  },
});
