// The AWS tests alone, for `.ci/run`'s second pass under the Lambda runtime's Node major (22): emulators run
// in-process in each file, so no global setup.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['infra/aws/**/*.test.ts', 'test/aws/**/*.test.ts'],
    exclude: ['node_modules/**', '.puddle/**'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    maxWorkers: 2,
  },
});
