import { defineConfig } from 'vitest/config';
import DevicesApartSequencer from './test/sequencer.js';

/**
 * Two files at a time (this machine has two cores), in two projects:
 * - `unit`: the tests beside the code. They touch no process-wide state (no
 *   process.env, no mocks, no working folder), so they share one module cache
 *   per worker (`isolate: false`): that spares each file its own transform and
 *   import, about a third of the project's CPU;
 * - `e2e`: the end-to-end files (own temp folders, case store and exhibit home,
 *   given by test/setup-env.ts). These too share a module cache per worker; no
 *   file changes process-wide state beyond its home, or it restores it. The
 *   files listed in test/device-files.ts attach loop devices, serve faulty disks
 *   or mount file systems: they share the kernel's devices, so test/device-lock.ts
 *   lets one of them run at a time, beside any other file. A device file takes
 *   the claim in its first beforeAll and gives it back in its last afterAll, and
 *   vitest runs neither for a file whose tests all skip, so no claim outlives
 *   its file.
 * vitest keeps a worker process for the next file only when that file is of the
 * same project. The sequencer runs the whole `e2e` project first, its device
 * files alternating with the others so neither worker waits long on the device
 * claim, then the whole `unit` project: four worker processes in a run.
 */
export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['./test/setup-env.ts'],
    globalSetup: ['./test/global-setup.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    maxWorkers: 2,
    sequence: { sequencer: DevicesApartSequencer },
    projects: [
      { extends: true, test: { name: 'unit', isolate: false, include: ['{cli,acquire,source,image,mount,verify,case-store,report,serve,core}/**/*.test.ts'] } },
      { extends: true, test: { name: 'e2e', isolate: false, include: ['test/**/*.test.ts'], setupFiles: ['./test/device-lock.ts'] } },
    ],
  },
});
