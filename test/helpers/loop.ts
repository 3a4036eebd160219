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
const nodes = new Set<string>(); // device nodes made here, where no udev makes them

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
  if (opts.partscan) exposePartitions(dev);
  return dev;
}

/** Make the kernel list the partitions and give each a /dev node (udev does this on a desktop). */
function exposePartitions(dev: string): void {
  const name = dev.replace('/dev/', '');
  const has = () => fs.readdirSync(`/sys/block/${name}`).some((n) => n.startsWith(`${name}p`));
  for (let i = 0; i < 20 && !has(); i++) {
    spawnSync('partx', ['-a', dev]);
    if (!has()) spawnSync('sleep', ['0.1']);
  }
  for (const part of fs.readdirSync(`/sys/block/${name}`).filter((n) => n.startsWith(`${name}p`))) {
    const node = `/dev/${part}`;
    if (fs.existsSync(node)) continue;
    const [major, minor] = fs.readFileSync(`/sys/block/${name}/${part}/dev`, 'utf8').trim().split(':');
    sh('mknod', [node, 'b', major!, minor!]);
    nodes.add(node);
  }
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
  for (const node of nodes) fs.rmSync(node, { force: true });
  nodes.clear();
}
