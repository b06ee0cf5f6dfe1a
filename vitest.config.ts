import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // e2e tests start real tracers and servers; two cores do not take parallel tracing well.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
