/**
 * The end-to-end files that attach loop devices, serve faulty disks (nbdkit,
 * FUSE) or mount file systems: they share the kernel's devices, so
 * test/device-lock.ts lets one of them run at a time, beside any other file.
 * A new end-to-end file that uses devices must be listed here.
 */
export const DEVICE_FILES: readonly string[] = [
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

/** Whether `file` (a path relative to the project's root, or absolute under `root`) is a device file. */
export function isDeviceFile(file: string, root: string): boolean {
  const rel = file.startsWith('/') ? file.slice(root.replace(/\/$/, '').length + 1) : file;
  return DEVICE_FILES.includes(rel);
}
