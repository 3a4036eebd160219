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
  return withHolders(stackedLoops(fileAliases(facts, scope), facts, scope));
}

/** The kernel name of the block device a loop device reads, when its backing file is a device node (losetup /dev/loop4 /dev/sdb1). */
function blockBacking(name: string): string | undefined {
  let file: string;
  try {
    file = fs.readFileSync(`/sys/block/${name}/loop/backing_file`, 'utf8').trim();
    const st = fs.statSync(file);
    if (!st.isBlockDevice()) return undefined;
    const major = Math.floor(st.rdev / 256) & 0xfff;
    const minor = (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00);
    return fs.realpathSync(`/sys/dev/block/${major}:${minor}`).split('/').pop();
  } catch {
    return undefined;
  }
}

/** A block device's whole disk (itself when it is one). */
function wholeOf(name: string): string {
  return partitionNumber(name) === undefined ? name : (fs.realpathSync(`/sys/class/block/${name}/..`).split('/').pop() ?? name);
}

/**
 * Loop devices stacked on device nodes, both ways: loops that read one of `names` (or the source's own
 * device) through its node, and, when the source is such a loop, the device it reads. A loop over
 * /dev/sdb1 writes sdb1; a loop over the source's node is the source under another name.
 */
function stackedLoops(names: readonly string[], facts: SourceFacts, scope: 'disk' | 'source'): string[] {
  const d = facts.device;
  const out = new Set(names);
  const family = (n: string): string[] => {
    const whole = wholeOf(n);
    const parts = listDir(`/sys/block/${whole}`).filter((x) => x.startsWith(whole));
    return scope === 'disk' ? [whole, ...parts] : partitionNumber(n) === undefined ? [n, ...parts] : [n];
  };
  const seeds = d ? [d.kernel_name] : [];
  for (const n of seeds) for (const f of family(n)) out.add(f);
  const loops = listDir('/sys/block').filter((n) => n.startsWith('loop'));
  for (let changed = true; changed; ) {
    changed = false;
    // What is built on our names (device-mapper, md, LUKS) is ours too: a loop over /dev/mapper/x reads it.
    for (const h of withHolders([...out])) if (!out.has(h)) (out.add(h), (changed = true));
    for (const loop of loops) {
      const under = blockBacking(loop);
      if (!under) continue;
      const add = (list: string[]) => {
        for (const x of list) if (!out.has(x)) (out.add(x), (changed = true));
      };
      if (out.has(under)) add(family(loop)); // a loop over one of ours: ours under another name
      if (out.has(loop)) add(family(under)); // one of ours is a loop over a device node: that device is ours too
    }
  }
  return [...out]; // the source's own names among them: the callers count them anyway
}

/** The loop devices over the same file as the source (or over the source file itself), with their partitions. */
function fileAliases(facts: SourceFacts, scope: 'disk' | 'source'): string[] {
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
  return names;
}
