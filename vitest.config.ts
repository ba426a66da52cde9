import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.puddle/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: run files in parallel, but not so many that child-process tests starve.
    maxWorkers: 2,
  },
});
