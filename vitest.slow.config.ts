import { defineConfig } from 'vitest/config';

// The slow tier: `npm run test:slow` (not part of `npm test`).
export default defineConfig({
  test: {
    include: ['test/**/*.slow.test.ts'],
    testTimeout: 600_000,
    hookTimeout: 120_000,
    pool: 'forks',
  },
});
