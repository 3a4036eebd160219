import { defineConfig } from 'vitest/config';

/**
 * Three projects, in two groups that run one after the other (sequence.groupOrder):
 * - group 1, two files at a time: `unit` (tests beside the code) and `e2e-files`,
 *   end-to-end files that touch only their own temp folders and case store;
 * - group 2, one file at a time: `e2e-serial`, the files that attach loop devices,
 *   serve faulty disks (nbdkit, FUSE), mount file systems, kill processes at chosen
 *   moments or measure memory and time; they share the kernel's devices, and their
 *   timing windows should not compete for the two cores.
 * Vitest refuses two projects of one group with different maxWorkers, so the
 * figure is set per group. A new end-to-end file is serial unless listed below.
 */
const E2E_FILES = [
  'test/custody.e2e.test.ts',
  'test/custody-line-breaks.e2e.test.ts',
  'test/examiner-names.e2e.test.ts',
  'test/numbers.e2e.test.ts',
  'test/report.e2e.test.ts',
  'test/verify-anchor.e2e.test.ts',
  'test/verify-fuzz.test.ts',
  'test/convert.e2e.test.ts',
];
const UNIT = ['{cli,acquire,image,verify,case-store,report,core}/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 60_000,
    hookTimeout: 60_000,
    setupFiles: ['./test/setup-env.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      { extends: true, test: { name: 'unit', include: UNIT, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'e2e-files', include: E2E_FILES, maxWorkers: 2, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'e2e-serial', include: ['test/**/*.test.ts'], exclude: E2E_FILES, maxWorkers: 1, sequence: { groupOrder: 2 } } },
    ],
  },
});
