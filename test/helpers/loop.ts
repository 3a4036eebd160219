/**
 * Loop devices for tests: real block devices over files. Every device
 * attached here is detached by `detachAll`, which tests call in afterEach /
 * afterAll even when an assertion failed.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { have, isRoot, sh } from './cli.js';

const attached = new Set<string>();
const mounted = new Set<string>();

/** Why loop devices cannot be used here, or undefined when they can. */
export function loopUnavailable(): string | undefined {
  if (!isRoot) return 'needs root to attach loop devices';
  if (!have('losetup')) return 'needs losetup (util-linux)';
  if (!fs.existsSync('/dev/loop-control')) return 'this kernel has no loop devices';
  return undefined;
}

export function attachLoop(file: string, opts: { readOnly?: boolean; partscan?: boolean } = {}): string {
  const args = ['-f', '--show'];
  if (opts.readOnly) args.push('-r');
  if (opts.partscan) args.push('-P');
  const dev = sh('losetup', [...args, file]).trim();
  attached.add(dev);
  return dev;
}

export function mount(dev: string, dir: string, options = 'rw'): void {
  sh('mount', ['-o', options, dev, dir]);
  mounted.add(dir);
}

export function unmount(dir: string): void {
  spawnSync('umount', [dir]);
  mounted.delete(dir);
}

export function detachAll(): void {
  for (const dir of mounted) spawnSync('umount', [dir]);
  mounted.clear();
  for (const dev of attached) {
    spawnSync('blockdev', ['--setrw', dev]);
    spawnSync('losetup', ['-d', dev]);
  }
  attached.clear();
}
