/**
 * Other names of the same bytes. A loop device reads a file; a second loop
 * device over the same file is the same medium under another kernel name, and
 * so is the file itself. Checks that go by kernel names (what is mounted, where
 * the output goes, which write counters move) look at these names too: else a
 * file system mounted through the second loop device, or an output folder on
 * it, writes to the source unseen.
 */
import fs from 'node:fs';
import type { SourceFacts } from './source.js';

interface FileId {
  dev: bigint;
  ino: bigint;
}

function fileId(p: string): FileId | undefined {
  try {
    const st = fs.statSync(p, { bigint: true });
    return { dev: st.dev, ino: st.ino };
  } catch {
    return undefined; // gone, or "(deleted)"
  }
}

/** The file a loop device reads, or undefined for a device that is not a loop device. */
function loopBacking(name: string): FileId | undefined {
  let file: string;
  try {
    file = fs.readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
  } catch {
    return undefined;
  }
  return file ? fileId(file) : undefined;
}

function listDir(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

/** The loop devices over `file` (whole devices only). */
function loopsOver(file: FileId): string[] {
  return listDir('/sys/block').filter((name) => {
    if (!name.startsWith('loop')) return false;
    const b = loopBacking(name);
    return b !== undefined && b.dev === file.dev && b.ino === file.ino;
  });
}

/** Partition number of a kernel block device, or undefined for a whole device. */
function partitionNumber(name: string): string | undefined {
  try {
    return fs.readFileSync(`/sys/class/block/${name}/partition`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The names, and what is built on them (device-mapper, md), all the way up. */
function withHolders(names: string[]): string[] {
  const out = new Set<string>();
  const queue = [...names];
  while (queue.length > 0) {
    const n = queue.shift()!;
    if (out.has(n)) continue;
    out.add(n);
    queue.push(...listDir(`/sys/class/block/${n}/holders`));
  }
  return [...out];
}

/**
 * The kernel names that read the same bytes as this source under another name: for a file, the
 * loop devices over it; for a loop device or one of its partitions, the loop devices over the same
 * file. `disk`: those whole devices with all their partitions (the source's whole medium, as for
 * where an output may not go); `source`: only what holds the source's own bytes (for a whole
 * device, the aliases with their partitions; for a partition, its namesake on each alias). With
 * what is built on them.
 */
export function aliasesOf(facts: SourceFacts, scope: 'disk' | 'source'): string[] {
  let disks: string[];
  if (facts.kind === 'file') {
    const id = fileId(facts.resolved_path);
    disks = id ? loopsOver(id) : [];
  } else {
    const whole = facts.device?.whole_disk;
    const backing = whole ? loopBacking(whole) : undefined;
    disks = backing ? loopsOver(backing) : [];
  }
  const part = facts.device?.is_partition ? partitionNumber(facts.device.kernel_name) : undefined;
  const names: string[] = [];
  for (const disk of disks) {
    const parts = listDir(`/sys/block/${disk}`).filter((n) => n.startsWith(disk));
    if (scope === 'disk' || part === undefined) names.push(disk, ...parts);
    else names.push(...parts.filter((n) => partitionNumber(n) === part)); // a whole device counts its partitions' writes too
  }
  return withHolders(names);
}
