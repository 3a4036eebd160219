/**
 * The partition table reader against images made by sfdisk and sgdisk (and
 * checked against The Sleuth Kit's mmls), against damaged copies of them, and
 * against hostile bytes: it must report, never throw or hang.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { crc32 } from './crc32.js';
import { detectFilesystem, PartitionBytes } from './fs-signature.js';
import { findGaps } from './gaps.js';
import { formatGuid } from './guid.js';
import { formatTable, readPartitionTable, type ByteSource, type PartitionTable } from './index.js';
import { because, needsTools } from '../../test/helpers/skip.js';
import { tempDir } from '../../test/helpers/cli.js';

const work = tempDir('exhibit-partitions-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function have(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}
const HAVE_SFDISK = have('sfdisk');
const HAVE_SGDISK = have('sgdisk');
const HAVE_MMLS = have('mmls');
const HAVE_MKE2FS = have('mke2fs');
if (!HAVE_SFDISK) console.warn('sfdisk (util-linux) is not installed: the MBR image tests are skipped');
if (!HAVE_SGDISK) console.warn('sgdisk (gdisk) is not installed: the GPT image tests are skipped');
if (!HAVE_MMLS) console.warn('mmls (sleuthkit) is not installed: the comparisons with mmls are skipped');
if (!HAVE_MKE2FS) console.warn('mke2fs (e2fsprogs) is not installed: the ext2/3/4 signatures are written by hand instead');

function run(cmd: string, args: string[], input?: string): string {
  const r = spawnSync(cmd, args, { input, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r.stdout;
}

/** A ByteSource over a file, through a fs.promises handle. */
class FileSource implements ByteSource {
  private constructor(
    private readonly h: fsp.FileHandle,
    readonly size: number,
  ) {}
  static async open(file: string): Promise<FileSource> {
    const h = await fsp.open(file, 'r');
    return new FileSource(h, (await h.stat()).size);
  }
  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const { bytesRead } = await this.h.read(into, 0, length, offset);
    return bytesRead;
  }
  close(): Promise<void> {
    return this.h.close();
  }
}

/** A ByteSource over bytes in memory, for the many-mutation tests. */
class MemorySource implements ByteSource {
  constructor(private readonly data: Uint8Array) {}
  get size(): number {
    return this.data.length;
  }
  async read(into: Uint8Array, offset: number, length: number): Promise<number> {
    const part = this.data.subarray(offset, offset + length);
    into.set(part);
    return part.length;
  }
}

async function readFile(file: string, sectorSize?: number): Promise<PartitionTable> {
  const src = await FileSource.open(file);
  try {
    return await readPartitionTable(src, sectorSize);
  } finally {
    await src.close();
  }
}

function imageFile(name: string, size: number): string {
  const p = path.join(work, name);
  fs.writeFileSync(p, Buffer.alloc(0));
  fs.truncateSync(p, size);
  return p;
}

function copyImage(from: string, name: string): string {
  const p = path.join(work, name);
  fs.copyFileSync(from, p);
  return p;
}

/** Overwrite bytes of a file in place. */
function patch(file: string, offset: number, bytes: Uint8Array | number[]): void {
  const fd = fs.openSync(file, 'r+');
  try {
    fs.writeSync(fd, Uint8Array.from(bytes), 0, bytes.length, offset);
  } finally {
    fs.closeSync(fd);
  }
}

function readBytes(file: string, offset: number, length: number): Buffer {
  const fd = fs.openSync(file, 'r');
  try {
    const b = Buffer.alloc(length);
    fs.readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

function u32le(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

/** Deterministic pseudo-random bytes. */
function random(size: number, seed: string): Buffer {
  const key = crypto.createHash('sha256').update(seed).digest().subarray(0, 16);
  return crypto.createCipheriv('aes-128-ctr', key, Buffer.alloc(16)).update(Buffer.alloc(size));
}

interface MmlsRow {
  slot: string;
  start: number;
  end: number;
  length: number;
  description: string;
}

/** mmls's table, parsed. */
function mmls(file: string, sectorSize = 512): MmlsRow[] {
  const out = run('mmls', ['-b', String(sectorSize), file]);
  const rows: MmlsRow[] = [];
  for (const line of out.split('\n')) {
    const m = /^\d+:\s+(\S+)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(line);
    if (m) rows.push({ slot: m[1]!, start: Number(m[2]), end: Number(m[3]), length: Number(m[4]), description: m[5]! });
  }
  return rows;
}

/** The (start, length) of the partitions mmls lists as allocated volumes (slot "000:001" or "002"). */
function mmlsPartitions(file: string, sectorSize = 512): string[] {
  return mmls(file, sectorSize)
    .filter((r) => /^\d+(:\d+)?$/.test(r.slot))
    .map((r) => `${r.start}+${r.length}`)
    .sort();
}

function ours(t: PartitionTable): string[] {
  return t.partitions
    .filter((p) => p.kind !== 'extended')
    .map((p) => `${p.firstSector}+${p.sectors}`)
    .sort();
}

const serious = (t: PartitionTable) => t.findings.filter((f) => f.severity !== 'info');
const said = (t: PartitionTable, re: RegExp) => t.findings.some((f) => re.test(f.message));

/** Hand-written filesystem signatures, at byte `at` of `file`. */
const SIGNATURES = {
  ntfs(file: string, at: number) {
    patch(file, at, [0xeb, 0x52, 0x90, ...Buffer.from('NTFS    ')]);
    patch(file, at + 510, [0x55, 0xaa]);
  },
  fat32(file: string, at: number) {
    patch(file, at, [0xeb, 0x58, 0x90, ...Buffer.from('mkfs.fat')]);
    patch(file, at + 82, Buffer.from('FAT32   '));
    patch(file, at + 510, [0x55, 0xaa]);
  },
  exfat(file: string, at: number) {
    patch(file, at, [0xeb, 0x76, 0x90, ...Buffer.from('EXFAT   ')]);
  },
  swap(file: string, at: number) {
    patch(file, at + 4096 - 10, Buffer.from('SWAPSPACE2'));
  },
  ext2(file: string, at: number) {
    patch(file, at + 1024 + 56, [0x53, 0xef]);
  },
};

// ---------------------------------------------------------------------------

describe.skipIf(!HAVE_SFDISK)(because('MBR images made by sfdisk', needsTools('sfdisk')), () => {
  let mbr = '';
  // 2 primaries, an extended partition with 3 logical ones; sfdisk puts each EBR 1 MiB before its logical partition.
  const SCRIPT = [
    'label: dos',
    'unit: sectors',
    'p1: start=2048, size=8192, type=83, bootable',
    'p2: size=16384, type=7',
    'p3: size=90000, type=5',
    'p5: size=8192, type=83',
    'p6: size=8192, type=82',
    'p7: size=10000, type=b',
    '',
  ].join('\n');

  beforeAll(() => {
    mbr = imageFile('mbr.img', 64 << 20);
    run('sfdisk', ['-q', '--no-reread', '--no-tell-kernel', mbr], SCRIPT.replace(/^p(\d)/gm, `${mbr}$1`));
    if (HAVE_MKE2FS) {
      run('mke2fs', ['-t', 'ext4', '-F', '-q', '-E', `offset=${2048 * 512},nodiscard`, mbr, '4M']);
      run('mke2fs', ['-t', 'ext3', '-F', '-q', '-E', `offset=${28672 * 512},nodiscard`, mbr, '4M']);
    }
    SIGNATURES.ntfs(mbr, 10240 * 512);
    SIGNATURES.swap(mbr, 38912 * 512);
    SIGNATURES.fat32(mbr, 49152 * 512);
  });

  it('reads the primary, extended and logical partitions', async () => {
    const t = await readFile(mbr);
    expect(t.scheme).toBe('mbr');
    expect(t.sectorSize).toBe(512);
    expect(t.totalSectors).toBe(131072);
    expect(serious(t)).toEqual([]);
    const rows = t.partitions.map((p) => [p.index, p.kind, p.firstSector, p.lastSector, p.sectors, p.type, p.typeName, p.bootable]);
    expect(rows).toEqual([
      [1, 'primary', 2048, 10239, 8192, '0x83', 'Linux', true],
      [2, 'primary', 10240, 26623, 16384, '0x07', 'NTFS/exFAT/HPFS', false],
      [3, 'extended', 26624, 116623, 90000, '0x05', 'Extended', false],
      [5, 'logical', 28672, 36863, 8192, '0x83', 'Linux', false],
      [6, 'logical', 38912, 47103, 8192, '0x82', 'Linux swap', false],
      [7, 'logical', 49152, 59151, 10000, '0x0b', 'FAT32 (CHS)', false],
    ]);
    expect(t.partitions[0]!.bytes).toBe(8192 * 512);
  });

  it('finds the gaps between partitions, leaving out the MBR and the EBRs', async () => {
    const t = await readFile(mbr);
    expect(t.unallocated.map((g) => [g.firstSector, g.lastSector, g.sectors])).toEqual([
      [1, 2047, 2047],
      [26625, 28671, 2047],
      [36865, 38911, 2047],
      [47105, 49151, 2047],
      [59152, 131071, 71920],
    ]);
  });

  it('guesses filesystems from their signatures', async () => {
    const t = await readFile(mbr);
    const fsOf = (i: number) => t.partitions.find((p) => p.index === i)?.filesystem;
    if (HAVE_MKE2FS) {
      expect(fsOf(1)).toBe('ext4');
      expect(fsOf(5)).toBe('ext3');
    }
    expect(fsOf(2)).toBe('NTFS');
    expect(fsOf(3)).toBeUndefined();
    expect(fsOf(6)).toBe('Linux swap');
    expect(fsOf(7)).toBe('FAT32');
  });

  it.skipIf(!HAVE_MMLS)(because('agrees with mmls on every partition start and length', needsTools('mmls')), async () => {
    const t = await readFile(mbr);
    expect(ours(t)).toEqual(mmlsPartitions(mbr));
    // mmls lists the outer extended partition as the first "DOS Extended" row.
    const ext = mmls(mbr).find((r) => r.description.startsWith('DOS Extended'));
    const e = t.partitions.find((p) => p.kind === 'extended');
    expect([e?.firstSector, e?.lastSector, e?.sectors]).toEqual([ext?.start, ext?.end, ext?.length]);
  });

  it('reads the same through a source that returns one byte at a time', async () => {
    const whole = fs.readFileSync(mbr);
    const trickle: ByteSource = {
      size: whole.length,
      async read(into, offset, length) {
        if (length === 0) return 0;
        into[0] = whole[offset]!;
        return 1;
      },
    };
    const t = await readPartitionTable(trickle);
    const expected = await readFile(mbr);
    expect(t).toEqual(expected);
  });

  it('prints a readable listing', async () => {
    const text = formatTable(await readFile(mbr));
    expect(text).toMatch(/^DOS\/MBR partition table, 512-byte sectors, 131072 sectors \(64\.0 MiB\)/);
    expect(text).toMatch(/\n1 +0000002048 +0000010239 +0000008192 +4\.0 MiB +Linux \(0x83\)( \[ext4\])? \*boot\n/);
    expect(text).toMatch(/\n7 \(log\) +0000049152 +0000059151 +0000010000 +4\.9 MiB +FAT32 \(CHS\) \(0x0b\) \[FAT32\]\n/);
    expect(text).toMatch(/\n- +0000059152 +0000131071 +0000071920 +35\.1 MiB +Unallocated\n/);
    expect(text).not.toMatch(/Findings/);
  });

  // EBRs: the first at 26624 (the extended start), then 36864 and 47104. The link record is the second one.
  const EXT = 26624;
  const linkStart = (ebr: number) => ebr * 512 + 446 + 16 + 8;

  it('reports an EBR that links to itself, and stops', async () => {
    const img = copyImage(mbr, 'mbr-self-loop.img');
    patch(img, linkStart(36864), u32le(36864 - EXT));
    const t = await readFile(img);
    expect(t.partitions.filter((p) => p.kind === 'logical').map((p) => p.index)).toEqual([5, 6]);
    expect(said(t, /EBR chain loops: the EBR at sector 36864 links to sector 36864/)).toBe(true);
  });

  it('reports an EBR chain that loops back to the first EBR, and stops', async () => {
    const img = copyImage(mbr, 'mbr-loop.img');
    patch(img, linkStart(47104) - 4, [0x05]); // the last EBR gets a link...
    patch(img, linkStart(47104), [...u32le(0), ...u32le(100)]); // ...to relative 0: the extended partition's start
    const t = await readFile(img);
    expect(t.partitions.filter((p) => p.kind === 'logical')).toHaveLength(3);
    expect(t.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([
      'the EBR chain loops: the EBR at sector 47104 links to sector 26624, whose EBR was already read; the chain was not followed further',
    ]);
  });

  it('reports a link outside the extended partition and one past the end of the disk', async () => {
    const outside = copyImage(mbr, 'mbr-link-outside.img');
    patch(outside, linkStart(EXT), u32le(95000));
    let t = await readFile(outside);
    expect(t.partitions.filter((p) => p.kind === 'logical')).toHaveLength(1);
    expect(said(t, /links to sector 121624, outside its extended partition \(sectors 26624-116623\)/)).toBe(true);

    // Make the extended partition reach past the disk's end, then link there.
    const past = copyImage(mbr, 'mbr-link-past.img');
    patch(past, 446 + 2 * 16 + 12, u32le(500000));
    patch(past, linkStart(EXT), u32le(200000));
    t = await readFile(past);
    expect(said(t, /MBR slot 3 \(extended, sectors 26624-526623\) ends past the end of the disk \(last sector 131071\)/)).toBe(true);
    expect(said(t, /links to an EBR at sector 226624, past the end of the disk/)).toBe(true);
  });

  it('reports entries past the end of the disk and overlapping partitions', async () => {
    const img = copyImage(mbr, 'mbr-past-end.img');
    patch(img, 446 + 16 + 12, u32le(0x10000000)); // slot 2 now reaches far past the 64 MiB disk
    const t = await readFile(img);
    expect(said(t, /MBR slot 2 \(primary, sectors 10240-268445695\) ends past the end of the disk \(last sector 131071\)/)).toBe(true);
    expect(said(t, /MBR slot 3 \(sectors 26624-116623\) overlaps MBR slot 2/)).toBe(true);
    expect(said(t, /logical partition 5 \(sectors 28672-36863\) overlaps MBR slot 2/)).toBe(true);
    expect(t.unallocated.map((g) => g.firstSector)).toEqual([1]);
  });

  it('reports an EBR without its signature, and an entry starting at sector 0', async () => {
    const img = copyImage(mbr, 'mbr-ebr-nosig.img');
    patch(img, 47104 * 512 + 510, [0, 0]);
    patch(img, 446 + 8, u32le(0));
    const t = await readFile(img);
    expect(t.partitions.filter((p) => p.kind === 'logical')).toHaveLength(2);
    expect(said(t, /the EBR at sector 47104 .* has no 0x55AA signature/)).toBe(true);
    expect(said(t, /MBR slot 1 \(sectors 0-8191\) covers sector 0, which holds the MBR/)).toBe(true);
  });

  it('stops an endless chain of EBRs at 1024', async () => {
    // An extended partition of 3000 sectors where each EBR links to the next sector and holds a 1-sector logical partition.
    const data = new Uint8Array(4096 * 512);
    const ext = 100;
    const rec = (sector: number, slot: number, type: number, start: number, count: number) => {
      const at = sector * 512 + 446 + slot * 16;
      data[at + 4] = type;
      data.set(u32le(start), at + 8);
      data.set(u32le(count), at + 12);
      data[sector * 512 + 510] = 0x55;
      data[sector * 512 + 511] = 0xaa;
    };
    rec(0, 0, 0x0f, ext, 3000);
    for (let i = 0; i < 3000; i++) {
      rec(ext + i, 0, 0x83, 0, 1);
      rec(ext + i, 1, 0x05, i + 1, 1);
    }
    const t = await readPartitionTable(new MemorySource(data));
    expect(t.partitions.filter((p) => p.kind === 'logical')).toHaveLength(1024);
    expect(said(t, /goes on past 1024 EBRs/)).toBe(true);
    expect(t.findings.length).toBeLessThanOrEqual(201);
  });
});

// ---------------------------------------------------------------------------

const GUIDS = {
  disk: 'A1B2C3D4-0102-4304-8506-0708090A0B0C',
  p1: '11111111-2222-4333-8444-555555555555',
  p2: '22222222-3333-4444-8555-666666666666',
  p3: '33333333-4444-4555-8666-777777777777',
  p4: '44444444-5555-4666-8777-888888888888',
};

describe.skipIf(!HAVE_SGDISK)(because('GPT images made by sgdisk', needsTools('sgdisk')), () => {
  let gpt = '';
  const TOTAL = 65536; // 32 MiB

  beforeAll(() => {
    gpt = imageFile('gpt.img', TOTAL * 512);
    run('sgdisk', [
      '-o',
      `-U`,
      GUIDS.disk,
      ...['-n', '1:2048:+1M', '-t', '1:ef00', '-c', '1:EFI System', '-u', `1:${GUIDS.p1}`],
      ...['-n', '2:0:+4M', '-t', '2:8300', '-c', '2:root', '-u', `2:${GUIDS.p2}`],
      ...['-n', '3:0:+2M', '-t', '3:8200', '-c', '3:swap', '-u', `3:${GUIDS.p3}`],
      ...['-n', '4:0:+8M', '-t', '4:0700', '-c', '4:Données', '-u', `4:${GUIDS.p4}`],
      gpt,
    ]);
    SIGNATURES.fat32(gpt, 2048 * 512);
    if (HAVE_MKE2FS) run('mke2fs', ['-t', 'ext2', '-F', '-q', '-E', `offset=${4096 * 512},nodiscard`, gpt, '4M']);
    else SIGNATURES.ext2(gpt, 4096 * 512);
    SIGNATURES.swap(gpt, 12288 * 512);
    SIGNATURES.exfat(gpt, 16384 * 512);
  });

  it('reads the partitions with their types, names and GUIDs', async () => {
    const t = await readFile(gpt);
    expect(t.scheme).toBe('gpt');
    expect(t.totalSectors).toBe(TOTAL);
    expect(t.diskGuid).toBe(GUIDS.disk);
    expect(t.findings).toEqual([]);
    expect(t.partitions.map((p) => [p.index, p.kind, p.firstSector, p.lastSector, p.type, p.typeName, p.name, p.guid, p.filesystem])).toEqual([
      [1, 'gpt', 2048, 4095, 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', 'EFI system', 'EFI System', GUIDS.p1, 'FAT32'],
      [2, 'gpt', 4096, 12287, '0FC63DAF-8483-4772-8E79-3D69D8477DE4', 'Linux filesystem', 'root', GUIDS.p2, 'ext2'],
      [3, 'gpt', 12288, 16383, '0657FD6D-A4AB-43C4-84E5-0933C84B4F4F', 'Linux swap', 'swap', GUIDS.p3, 'Linux swap'],
      [4, 'gpt', 16384, 32767, 'EBD0A0A2-B9E5-4433-87C0-68B6B72699C7', 'Microsoft basic data', 'Données', GUIDS.p4, 'exFAT'],
    ]);
  });

  it('finds the gaps inside the usable area', async () => {
    const t = await readFile(gpt);
    expect(t.unallocated).toEqual([
      { firstSector: 34, lastSector: 2047, sectors: 2014 },
      { firstSector: 32768, lastSector: 65502, sectors: 32735 },
    ]);
  });

  it('prints GUIDs as sgdisk does', async () => {
    const t = await readFile(gpt);
    const info = run('sgdisk', ['-i', '4', gpt]);
    expect(info).toContain(`Partition unique GUID: ${t.partitions[3]!.guid}`);
    expect(info).toContain(`Partition GUID code: ${t.partitions[3]!.type}`);
    expect(run('sgdisk', ['-p', gpt])).toContain(`Disk identifier (GUID): ${t.diskGuid}`);
  });

  it.skipIf(!HAVE_MMLS)(because('agrees with mmls on every partition start and length', needsTools('mmls')), async () => {
    const t = await readFile(gpt);
    expect(ours(t)).toEqual(mmlsPartitions(gpt));
  });

  it('uses the backup header when the primary header is damaged, and says so', async () => {
    const img = copyImage(gpt, 'gpt-bad-header.img');
    const at = 512 + 60; // a byte of the disk GUID in the primary header
    patch(img, at, [readBytes(img, at, 1)[0]! ^ 0xff]);
    const t = await readFile(img);
    expect(t.scheme).toBe('gpt');
    expect(t.diskGuid).toBe(GUIDS.disk);
    expect(t.partitions.map((p) => p.name)).toEqual(['EFI System', 'root', 'swap', 'Données']);
    const errors = t.findings.filter((f) => f.severity === 'error').map((f) => f.message);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^the primary GPT header \(sector 1\) is damaged: its CRC32 does not match \(stored 0x[0-9A-F]{8}, computed 0x[0-9A-F]{8}\); the backup header at sector 65535 was used$/,
    );
  });

  it('uses the backup entry array when the primary array is damaged, and says so', async () => {
    const img = copyImage(gpt, 'gpt-bad-array.img');
    patch(img, 1024 + 56, Buffer.from('X\0', 'latin1')); // the first letter of entry 1's name
    const t = await readFile(img);
    expect(t.partitions.map((p) => p.name)).toEqual(['EFI System', 'root', 'swap', 'Données']);
    expect(said(t, /^the primary GPT entry array \(sector 2\) is damaged: its CRC32 does not match .*; the backup header at sector 65535 and its entry array at sector 65503 were used$/)).toBe(
      true,
    );
  });

  it('reports a damaged backup while using the primary', async () => {
    const img = copyImage(gpt, 'gpt-bad-backup.img');
    patch(img, (TOTAL - 1) * 512 + 60, [0]);
    const t = await readFile(img);
    expect(t.partitions).toHaveLength(4);
    expect(t.findings.map((f) => f.message)).toEqual([expect.stringMatching(/^the backup GPT header \(sector 65535\) is damaged: its CRC32 does not match .*; the primary was used$/)]);
  });

  it('falls back to a damaged primary header whose entry array still matches its CRC32 when there is no backup', async () => {
    const img = copyImage(gpt, 'gpt-bad-primary-no-backup.img');
    patch(img, 512 + 24, [7]); // primary: wrong "my LBA", and so a wrong CRC
    patch(img, (TOTAL - 1) * 512, Buffer.from('NOT PART')); // backup: no signature
    const t = await readFile(img);
    expect(t.scheme).toBe('gpt');
    expect(t.partitions).toHaveLength(4);
    expect(t.findings.filter((f) => f.severity === 'error').map((f) => f.message)).toEqual([
      expect.stringMatching(/^the primary GPT header \(sector 1\) is damaged: its CRC32 does not match .*; it says it lies at sector 7, but it was read from sector 1$/),
      'no backup GPT header was found (looked at sector 65535): the image may be truncated, or the backup was overwritten',
      'the entries were taken from the primary GPT header (sector 1) although it is damaged, because its entry array matches the CRC32 it stores; check them by hand',
    ]);
  });

  it('lists nothing, with findings, when no copy can be trusted', async () => {
    const img = copyImage(gpt, 'gpt-bad-both.img');
    patch(img, 512 + 24, [7]);
    patch(img, 1024 + 56, Buffer.from('X\0', 'latin1'));
    patch(img, (TOTAL - 1) * 512 + 8, [9]); // backup: a wrong revision, so a wrong CRC
    patch(img, 65503 * 512 + 56, Buffer.from('X\0', 'latin1')); // and a damaged entry array
    const t = await readFile(img);
    expect(t.scheme).toBe('gpt');
    expect(t.partitions).toEqual([]);
    expect(said(t, /the backup GPT header \(sector 65535\) is damaged: its CRC32 does not match/)).toBe(true);
    expect(said(t, /neither copy of the GPT can be trusted/)).toBe(true);
    expect(t.unallocated).toEqual([{ firstSector: 1, lastSector: TOTAL - 1, sectors: TOTAL - 1 }]);
  });

  it('reports a truncated image: no backup, usable area past the end', async () => {
    const img = copyImage(gpt, 'gpt-truncated.img');
    fs.truncateSync(img, 12 << 20);
    const t = await readFile(img);
    expect(t.partitions).toHaveLength(4);
    expect(said(t, /no backup GPT header was found/)).toBe(true);
    expect(said(t, /GPT entry 4 \("Données"\) ends past the end of the disk \(last sector 24575\)/)).toBe(true);
    expect(said(t, /last usable sector 65502 is past the end of the disk/)).toBe(true);
    expect(t.unallocated).toEqual([{ firstSector: 34, lastSector: 2047, sectors: 2014 }]);
  });

  it('turns read errors on the primary header into findings and still reads the backup', async () => {
    const src = await FileSource.open(gpt);
    try {
      const failing: ByteSource = {
        size: src.size,
        read: (into, offset, length) => (offset < 1024 && offset + length > 512 ? Promise.reject(new Error('EIO: i/o error')) : src.read(into, offset, length)),
      };
      const t = await readPartitionTable(failing);
      expect(t.scheme).toBe('gpt');
      expect(t.partitions).toHaveLength(4);
      expect(said(t, /reading the primary GPT header \(sector 1\) .* failed: EIO: i\/o error/)).toBe(true);
      expect(said(t, /the backup header at sector 65535 was used/)).toBe(true);
    } finally {
      await src.close();
    }
  });

  it('prints a readable listing', async () => {
    const text = formatTable(await readFile(gpt));
    expect(text).toContain(`Disk GUID: ${GUIDS.disk}`);
    expect(text).toMatch(/\n4 +0000016384 +0000032767 +0000016384 +8\.0 MiB +Microsoft basic data "Données" \[exFAT\]\n/);
  });
});

// ---------------------------------------------------------------------------

interface GptSpec {
  sectorSize: number;
  totalSectors: number;
  entries: { type: string; guid: string; first: number; last: number; name: string }[];
  entryCount?: number;
}

function guidBytes(guid: string): Uint8Array {
  const h = guid.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  const out = Buffer.from(b);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  return out;
}

/** Write a GPT (protective MBR, both headers and arrays) into a fresh image; the tests' own writer, for 4Kn and hostile layouts. */
function buildGpt(file: string, spec: GptSpec): void {
  const { sectorSize: ss, totalSectors } = spec;
  const count = spec.entryCount ?? 128;
  const arraySectors = Math.ceil((count * 128) / ss);
  const array = Buffer.alloc(arraySectors * ss);
  spec.entries.forEach((e, i) => {
    const at = i * 128;
    array.set(guidBytes(e.type), at);
    array.set(guidBytes(e.guid), at + 16);
    array.writeBigUInt64LE(BigInt(e.first), at + 32);
    array.writeBigUInt64LE(BigInt(e.last), at + 40);
    array.write(e.name, at + 56, 'utf16le');
  });
  const arrayCrc = crc32(array.subarray(0, count * 128));
  const header = (my: number, alt: number, entries: number): Buffer => {
    const h = Buffer.alloc(ss);
    h.write('EFI PART', 0, 'latin1');
    h.writeUInt32LE(0x00010000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(my), 24);
    h.writeBigUInt64LE(BigInt(alt), 32);
    h.writeBigUInt64LE(BigInt(2 + arraySectors), 40);
    h.writeBigUInt64LE(BigInt(totalSectors - 2 - arraySectors), 48);
    h.set(guidBytes(GUIDS.disk), 56);
    h.writeBigUInt64LE(BigInt(entries), 72);
    h.writeUInt32LE(count, 80);
    h.writeUInt32LE(128, 84);
    h.writeUInt32LE(arrayCrc, 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  const mbr = Buffer.alloc(ss);
  mbr[446 + 4] = 0xee;
  mbr.writeUInt32LE(1, 446 + 8);
  mbr.writeUInt32LE(Math.min(totalSectors - 1, 0xffffffff), 446 + 12);
  mbr[510] = 0x55;
  mbr[511] = 0xaa;
  const last = totalSectors - 1;
  fs.writeFileSync(file, Buffer.alloc(0));
  fs.truncateSync(file, totalSectors * ss);
  patch(file, 0, mbr);
  patch(file, ss, header(1, last, 2));
  patch(file, 2 * ss, array);
  patch(file, (last - arraySectors) * ss, array);
  patch(file, last * ss, header(last, 1, last - arraySectors));
}

describe('GPT on 4096-byte sectors', () => {
  const file = path.join(work, 'gpt-4k.img');
  beforeAll(() =>
    buildGpt(file, {
      sectorSize: 4096,
      totalSectors: 4096, // 16 MiB
      entries: [
        { type: 'C12A7328-F81F-11D2-BA4B-00A0C93EC93B', guid: GUIDS.p1, first: 256, last: 511, name: 'ESP' },
        { type: '7C3457EF-0000-11AA-AA11-00306543ECAC', guid: GUIDS.p2, first: 512, last: 2047, name: 'Macintosh HD' },
        { type: '12345678-9ABC-4DEF-8123-456789ABCDEF', guid: GUIDS.p3, first: 2048, last: 3000, name: 'odd' },
      ],
    }),
  );

  it('finds the header at byte 4096 by itself and reads the partitions', async () => {
    patch(file, 512 * 4096 + 32, Buffer.from('NXSB'));
    const t = await readFile(file);
    expect(t.sectorSize).toBe(4096);
    expect(t.totalSectors).toBe(4096);
    expect(t.findings.map((f) => f.severity)).toEqual(['info']);
    expect(t.partitions.map((p) => [p.firstSector, p.sectors, p.bytes, p.typeName, p.name, p.filesystem])).toEqual([
      [256, 256, 256 * 4096, 'EFI system', 'ESP', undefined],
      [512, 1536, 1536 * 4096, 'Apple APFS', 'Macintosh HD', 'APFS'],
      [2048, 953, 953 * 4096, 'unknown', 'odd', undefined],
    ]);
    expect(t.unallocated.map((g) => [g.firstSector, g.lastSector])).toEqual([
      [6, 255],
      [3001, 4090],
    ]);
    expect(await readFile(file, 4096)).toEqual({ ...t, findings: [] });
  });

  it('hints at 4096-byte sectors when told 512', async () => {
    const t = await readFile(file, 512);
    expect(t.partitions).toEqual([]);
    expect(said(t, /a GPT header lies at byte 4096: the disk may use 4096-byte sectors rather than 512/)).toBe(true);
  });

  it.skipIf(!HAVE_MMLS)(because('agrees with mmls -b 4096', needsTools('mmls')), async () => {
    expect(ours(await readFile(file))).toEqual(mmlsPartitions(file, 4096));
  });
});

describe('hostile GPT headers with valid CRCs', () => {
  it('refuses an entry array of 2^32-1 entries', async () => {
    const file = path.join(work, 'gpt-huge-count.img');
    buildGpt(file, { sectorSize: 512, totalSectors: 2048, entries: [] });
    // Rewrite the entry count, then fix the header CRC so only the count is hostile.
    const h = readBytes(file, 512, 512);
    h.writeUInt32LE(0xffffffff, 80);
    h.writeUInt32LE(0, 16);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    patch(file, 512, h);
    const t = await readFile(file);
    expect(t.scheme).toBe('gpt');
    expect(said(t, /entry array \(4294967295 entries of 128 bytes\) is larger than 67108864 bytes and was not read/)).toBe(true);
    expect(said(t, /the backup header at sector 2047 was used/)).toBe(true);
  });

  it('reads a valid entry array of 100,000 entries (12.2 MiB, as sgdisk -S 100000 writes)', async () => {
    const file = path.join(work, 'gpt-100000-entries.img');
    const entries = [{ type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', guid: '11111111-2222-3333-4444-555555555555', first: 26624, last: 43007, name: 'alpha' }];
    buildGpt(file, { sectorSize: 512, totalSectors: 131072, entryCount: 100_000, entries });
    const t = await readFile(file);
    expect(t.scheme).toBe('gpt');
    expect(t.findings.filter((f) => f.severity === 'error')).toEqual([]);
    expect(t.partitions.map((p) => [p.firstSector, p.sectors, p.name])).toEqual([[26624, 16384, 'alpha']]);
  });

  it('lists at most 16,384 partitions of one GPT, and says how many more it holds', async () => {
    const file = path.join(work, 'gpt-many-partitions.img');
    const entries = Array.from({ length: 16_400 }, (_, i) => ({ type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4', guid: '11111111-2222-3333-4444-555555555555', first: 40_000 + i, last: 40_000 + i, name: `p${i}` }));
    buildGpt(file, { sectorSize: 512, totalSectors: 131072, entryCount: 16_400, entries });
    const t = await readFile(file);
    expect(t.partitions).toHaveLength(16_384);
    expect(said(t, /the GPT lists 16400 partitions: the first 16384 are listed, the other 16 \(from entry 16385 on\) are not/)).toBe(true);
  });

  it('lists garbage entries with findings, capped, without hanging', async () => {
    const file = path.join(work, 'gpt-garbage-entries.img');
    const entries = Array.from({ length: 1000 }, (_, i) => ({
      type: '0FC63DAF-8483-4772-8E79-3D69D8477DE4',
      guid: GUIDS.p1,
      first: (i * 7919) % 5000,
      last: i % 3 === 0 ? Math.max(0, ((i * 7919) % 5000) - 5) : ((i * 7919) % 5000) + 4000,
      name: `p${i}`,
    }));
    buildGpt(file, { sectorSize: 512, totalSectors: 4096, entries, entryCount: 1000 });
    const t = await readFile(file);
    expect(t.partitions.length).toBeGreaterThan(500);
    expect(t.findings.length).toBe(201);
    expect(t.findings.at(-1)?.message).toMatch(/further findings were left out/);
  });
});

// ---------------------------------------------------------------------------

describe('hostile and broken input never throws', () => {
  const tiny = async (bytes: Uint8Array, name: string): Promise<PartitionTable> => {
    const p = path.join(work, name);
    fs.writeFileSync(p, bytes);
    return readFile(p);
  };

  it('an empty image', async () => {
    const t = await tiny(new Uint8Array(0), 'empty.img');
    expect(t).toMatchObject({ scheme: 'none', totalSectors: 0, partitions: [], unallocated: [] });
    expect(said(t, /smaller than one 512-byte sector/)).toBe(true);
  });

  it('a 100-byte image', async () => {
    const t = await tiny(random(100, 'hundred'), 'hundred.img');
    expect(t).toMatchObject({ scheme: 'none', totalSectors: 0, partitions: [] });
  });

  it('a 1 MiB image of random bytes', async () => {
    const t = await tiny(random(1 << 20, 'garbage'), 'garbage.img');
    expect(t.scheme).toBe('none');
    expect(t.unallocated).toEqual([{ firstSector: 0, lastSector: 2047, sectors: 2048 }]);
    expect(formatTable(t)).toContain('No partition table');
  });

  it('random bytes with a boot signature and random records', async () => {
    for (let seed = 0; seed < 50; seed++) {
      const data = random(1 << 20, `signed ${seed}`);
      data[510] = 0x55;
      data[511] = 0xaa;
      data[446 + 4] = [0x05, 0x0f, 0x85, 0xee, 0x83][seed % 5]!; // an extended or protective entry now and then
      const t = await readPartitionTable(new MemorySource(data));
      expect(said(t, /internal error/)).toBe(false);
      for (const p of t.partitions) expect(Number.isFinite(p.firstSector) && Number.isFinite(p.lastSector)).toBe(true);
    }
  });

  it('a disk with a filesystem and no partition table', async () => {
    const data = new Uint8Array(1 << 20);
    data.set([0xeb, 0x52, 0x90, ...Buffer.from('NTFS    ')]);
    data[510] = 0x55;
    data[511] = 0xaa;
    const t = await readPartitionTable(new MemorySource(data));
    expect(t.scheme).toBe('none');
    expect(said(t, /sector 0 is the boot sector of a filesystem \(NTFS\), not an MBR/)).toBe(true);
  });

  it('sources that throw, lie about their size or return nonsense counts', async () => {
    const throwing: ByteSource = { size: 1 << 20, read: () => Promise.reject(new Error('EIO')) };
    let t = await readPartitionTable(throwing);
    expect(t.scheme).toBe('none');
    expect(said(t, /reading the MBR \(sector 0\) .* failed: EIO/)).toBe(true);

    const throwsSync: ByteSource = {
      size: 1 << 20,
      read: () => {
        throw 'not even an Error';
      },
    };
    t = await readPartitionTable(throwsSync);
    expect(said(t, /failed: not even an Error/)).toBe(true);

    const badSize = {
      get size(): number {
        throw new Error('no size');
      },
      read: async () => 0,
    };
    t = await readPartitionTable(badSize);
    expect(said(t, /size could not be read: no size/)).toBe(true);
    expect((await readPartitionTable({ size: Number.NaN, read: async () => 0 })).scheme).toBe('none');
    expect((await readPartitionTable({ size: -5, read: async () => 0 })).scheme).toBe('none');

    for (const count of [-1, 1e9, Number.NaN, 0.5]) {
      t = await readPartitionTable({ size: 4096, read: async () => count });
      expect(said(t, /impossible byte count/)).toBe(true);
    }

    const short: ByteSource = { size: 1 << 20, read: async () => 0 }; // claims a size it cannot deliver
    t = await readPartitionTable(short);
    expect(said(t, /a short read/)).toBe(true);

    t = await readPartitionTable({ size: 4096, read: async () => 0 }, 1000);
    expect(said(t, /sector size 1000 is not a power of two/)).toBe(true);
  });

  it.skipIf(!HAVE_SFDISK || !HAVE_SGDISK)(because('survives random damage to the tables of real images', needsTools('sfdisk', 'sgdisk')), async () => {
    const sources: Buffer[] = [];
    const mbrImg = imageFile('fuzz-mbr.img', 64 << 20);
    run('sfdisk', ['-q', mbrImg], ['label: dos', 'p1: size=8M, type=83', 'p2: size=8M, type=7', 'p3: size=40M, type=5', 'p5: size=4M, type=83', 'p6: size=4M, type=82', 'p7: size=4M, type=c', ''].join('\n').replace(/^p(\d)/gm, `${mbrImg}$1`));
    sources.push(fs.readFileSync(mbrImg));
    const gptImg = imageFile('fuzz-gpt.img', 8 << 20);
    run('sgdisk', ['-o', '-n', '1:0:+1M', '-n', '2:0:+1M', '-n', '3:0:+1M', gptImg]);
    sources.push(fs.readFileSync(gptImg));
    const mbrTables = (await readPartitionTable(new MemorySource(sources[0]!))).partitions;
    expect(mbrTables.filter((p) => p.kind === 'logical')).toHaveLength(3);
    // The sectors worth damaging: the MBR, the EBRs, the GPT headers and arrays.
    const ebrs = mbrTables.filter((p) => p.kind === 'logical').map((p) => p.firstSector - 2048);
    expect(ebrs).toEqual([34816, 45056, 55296]); // sfdisk puts each EBR 1 MiB before its logical partition
    const targets: number[][] = [[0, ...ebrs], [0, 1, 2, 3, 16384 - 33, 16384 - 1]];
    // Damage the images in place and put the original sectors back after each round (copying 64 MiB per round is slow).
    const pristine = targets.map((sectors, w) => sectors.map((s) => Buffer.from(sources[w]!.subarray(s * 512, s * 512 + 512))));
    const rnd = random(400 * 16, 'fuzz');
    for (let i = 0; i < 400; i++) {
      const which = i % 2;
      const data = sources[which]!;
      const sectors = targets[which]!;
      sectors.forEach((s, k) => pristine[which]![k]!.copy(data, s * 512));
      for (let k = 0; k < 1 + (rnd[i * 16]! % 8); k++) {
        const sector = sectors[rnd[i * 16 + 1 + k]! % sectors.length]!;
        const at = sector * 512 + (which === 0 ? 446 + (rnd[i * 16 + 9 + (k % 6)]! % 66) : rnd.readUInt16LE(i * 16 + 9 + (k % 6)) % 512);
        data[at] = rnd[(i * 16 + k * 3 + 7) % rnd.length]!;
      }
      const t = await readPartitionTable(new MemorySource(data));
      expect(said(t, /internal error/)).toBe(false);
      expect(t.findings.length).toBeLessThanOrEqual(201);
    }
  });
});

describe('building blocks', () => {
  it('crc32 matches the standard check value', () => {
    expect(crc32(Buffer.from('123456789'))).toBe(0xcbf43926);
  });

  it('formats mixed-endian GUIDs', () => {
    const b = Uint8Array.from([0x28, 0x73, 0x2a, 0xc1, 0x1f, 0xf8, 0xd2, 0x11, 0xba, 0x4b, 0x00, 0xa0, 0xc9, 0x3e, 0xc9, 0x3b]);
    expect(formatGuid(b)).toBe('C12A7328-F81F-11D2-BA4B-00A0C93EC93B');
    expect(formatGuid(guidBytes(GUIDS.disk))).toBe(GUIDS.disk);
  });

  it('finds gaps around nested and overlapping spans', () => {
    expect(findGaps([], 5, 4)).toEqual([]);
    expect(
      findGaps(
        [
          { first: 10, last: 20 },
          { first: 12, last: 15 },
          { first: 18, last: 30 },
          { first: 50, last: 200 },
        ],
        0,
        100,
      ),
    ).toEqual([
      { firstSector: 0, lastSector: 9, sectors: 10 },
      { firstSector: 31, lastSector: 49, sectors: 19 },
    ]);
  });

  const bytes = (size: number, writes: [number, number[] | string][]): PartitionBytes => {
    const b = Buffer.alloc(size);
    for (const [at, v] of writes) {
      if (typeof v === 'string') b.write(v, at, 'latin1');
      else b.set(v, at);
    }
    return new PartitionBytes([
      { offset: 0, data: b.subarray(0, 16384) },
      { offset: 61440, data: b.subarray(61440, 61440 + 8192) },
    ]);
  };

  it.each([
    ['LUKS', [[0, 'LUKS\xba\xbe']]],
    ['XFS', [[0, 'XFSB']]],
    ['BitLocker', [[3, '-FVE-FS-']]],
    ['NTFS', [[3, 'NTFS    ']]],
    ['exFAT', [[3, 'EXFAT   ']]],
    ['APFS', [[32, 'NXSB']]],
    ['Btrfs', [[65536 + 64, '_BHRfS_M']]],
    ['FAT12', [[54, 'FAT12   ']]],
    ['FAT16', [[54, 'FAT16   ']]],
    ['FAT32', [[82, 'FAT32   ']]],
    ['ext2', [[1080, [0x53, 0xef]]]],
    ['ext3', [[1080, [0x53, 0xef]], [1024 + 92, [0x04]]]],
    ['ext4', [[1080, [0x53, 0xef]], [1024 + 92, [0x04]], [1024 + 96, [0x40, 0x02]]]],
    ['HFS+', [[1024, 'H+'], [1026, [0, 4]]]],
    ['HFS+', [[1024, 'HX'], [1026, [0, 5]]]],
    ['Linux swap', [[4086, 'SWAPSPACE2']]],
    ['Linux swap', [[65526, 'SWAPSPACE2']]],
    // A FAT16 volume whose BPB carries no type label: typed by cluster count.
    ['FAT16', [[0, [0xeb, 0x3c, 0x90]], [11, [0x00, 0x02, 4, 4, 0, 2, 0x00, 0x02]], [19, [0, 0]], [21, [0xf8, 64, 0]], [32, [0x00, 0x00, 0x04, 0x00]], [510, [0x55, 0xaa]]]],
  ] as [string, [number, number[] | string][]][])('recognises %s', (name, writes) => {
    expect(detectFilesystem(bytes(70000, writes))).toBe(name);
  });

  it('recognises nothing in zeros or in a window too short to hold a signature', () => {
    expect(detectFilesystem(bytes(70000, []))).toBeUndefined();
    expect(detectFilesystem(new PartitionBytes([{ offset: 0, data: Buffer.from('XFS') }]))).toBeUndefined();
  });
});
