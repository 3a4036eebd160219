import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{cli,acquire,image,verify,case-store,report,core,test}/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // End-to-end tests attach loop devices and spawn the real CLI: keep files serial.
    fileParallelism: false,
    setupFiles: ['./test/setup-env.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
  },
});
