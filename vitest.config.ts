import { defineConfig } from 'vitest/config';
import DevicesApartSequencer from './test/sequencer.js';

/**
 * Two files at a time (this machine has two cores), in three projects:
 * - `unit`: the tests beside the code. They touch no process-wide state (no
 *   process.env, no mocks, no working folder), so they share one module cache
 *   per worker (`isolate: false`): that spares each file its own transform and
 *   import, about a third of the project's CPU;
 * - `e2e-devices`: end-to-end files that attach loop devices, serve faulty disks
 *   (nbdkit, FUSE) or mount file systems. They share the kernel's devices, so
 *   test/device-lock.ts lets one of them run at a time, beside any other file;
 * - `e2e`: every other end-to-end file (own temp folders and case store; a
 *   tmpfs mounted on a folder of its own, to fill a destination, is private to
 *   its file and needs no claim). These too share a module cache per worker:
 *   test/setup-env.ts still gives each file its own exhibit home, and no file
 *   changes process-wide state beyond it, or it restores it. The device
 *   files share a module cache per worker as well: a file takes the device
 *   claim in its first beforeAll and gives it back in its last afterAll, and
 *   vitest runs neither for a file whose tests all skip, so no claim outlives
 *   its file (test/device-lock.ts).
 * The sequencer alternates device files with the others so neither worker
 * waits long on the device claim. A new end-to-end file that uses devices
 * must be listed in DEVICES.
 */
const DEVICES = [
  'test/bad-sectors.e2e.test.ts',
  'test/case-uco.e2e.test.ts',
  'test/clone.e2e.test.ts',
  'test/ewf-writer.e2e.test.ts',
  'test/faulty-device.test.ts',
  'test/inspect.e2e.test.ts',
  'test/loop-device.e2e.test.ts',
  'test/mount-browse.e2e.test.ts',
  'test/mount.e2e.test.ts', // FUSE mounts, loop devices, ext4 mounts
  'test/read-only-store.e2e.test.ts',
  'test/restore-evidence.e2e.test.ts',
  'test/restore.e2e.test.ts',
  'test/serve.e2e.test.ts',
  'test/verify-source.e2e.test.ts',
  'test/verify.e2e.test.ts',
];

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
      { extends: true, test: { name: 'e2e-devices', isolate: false, include: DEVICES, setupFiles: ['./test/device-lock.ts'] } },
      { extends: true, test: { name: 'e2e', isolate: false, include: ['test/**/*.test.ts'], exclude: DEVICES } },
    ],
  },
});
