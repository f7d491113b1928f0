import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Two cores: running heavy files (training, profiling) in parallel only thrashes.
    fileParallelism: true,
    maxWorkers: 2,
  },
});
