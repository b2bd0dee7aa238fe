import { defineConfig } from 'vitest/config';

/** `npm run test:slow`: tests that download (the CUDA provider, 179 MB, cached) or run for minutes. */
export default defineConfig({
  test: {
    include: ['test/**/*.slow.test.ts'],
    testTimeout: 900_000,
    hookTimeout: 900_000,
    pool: 'forks',
  },
});
