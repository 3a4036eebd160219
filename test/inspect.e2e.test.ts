/**
 * exhibit inspect through the real command: partition tables of the interop
 * E01 images, of an MBR image with logical partitions and of a GPT image,
 * agree with sleuthkit's mmls; a corrupted primary GPT header is recovered
 * from the backup and said; a loop device shows its facts and says hidden
 * areas do not apply.
 */
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { have, ROOT, run, tempDir } from './helpers/cli.js';
import { attachLoop, detachAll, loopUnavailable } from './helpers/loop.js';
import { anyOf, because, needsInterop, needsTools } from './helpers/skip.js';

const work = tempDir('exhibit-inspect-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true })); // registered first, so it runs after every other teardown
const interop = path.resolve(ROOT, '..', 'shared', 'fixtures', 'interop');

/** mmls's partitions (not meta, not unallocated, not the extended container) as "start+length". */
function mmls(args: string[]): string[] {
  const r = spawnSync('mmls', args, { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout
    .split('\n')
    .map((l) => /^\d+:\s+(\d+(?::\d+)?)\s+(\d+)\s+(\d+)\s+(\d+)\s+(.*)$/.exec(l))
    .filter((m): m is RegExpExecArray => m !== null && !/Extended|Protective/i.test(m[5]!))
    .map((m) => `${Number(m[2])}+${Number(m[4])}`)
    .sort();
}

function ours(target: string): { starts: string[]; table: any; out: any } {
  const r = run(['inspect', target, '--json']);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout);
  const starts = out.table.partitions.filter((p: { kind: string }) => p.kind !== 'extended').map((p: { firstSector: number; sectors: number }) => `${p.firstSector}+${p.sectors}`).sort();
  return { starts, table: out.table, out };
}

describe.skipIf(!fs.existsSync(interop) || !have('mmls'))(because('images written by other tools, against mmls', anyOf(needsInterop(), needsTools('mmls'))), () => {
  it.each(['ewf/plaso-image-split.E01', 'ewf/dfvfs-ext2.E01', 'ewf/sleuthkit-image.E01'])('%s', (file) => {
    const target = path.join(interop, file);
    const mine = ours(target);
    const theirs = spawnSync('mmls', ['-i', 'ewf', target]).status === 0 ? mmls(['-i', 'ewf', target]) : [];
    expect(mine.starts).toEqual(theirs);
  });
});

describe.skipIf(!have('sfdisk') || !have('mmls'))(because('an MBR with logical partitions', needsTools('sfdisk', 'mmls')), () => {
  it('lists primaries, the extended chain and the gaps as mmls does', () => {
    const img = path.join(work, 'mbr.img');
    fs.writeFileSync(img, Buffer.alloc(64 * 1024 * 1024));
    const layout = 'label: dos\nstart=2048, size=20480, type=83\nstart=22528, size=20480, type=7\nstart=43008, size=80000, type=5\nstart=45056, size=10240, type=83\nstart=57344, size=10240, type=82\nstart=69632, size=20480, type=b\n';
    const r = spawnSync('sfdisk', ['-q', img], { input: layout, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const mine = ours(img);
    expect(mine.starts).toEqual(mmls([img]));
    expect(mine.table.partitions.filter((p: { kind: string }) => p.kind === 'logical')).toHaveLength(3);
    expect(mine.table.unallocated.length).toBeGreaterThan(0);
    const text = run(['inspect', img]).stdout;
    expect(text).toMatch(/Linux swap/);
  });
});

describe.skipIf(!have('sgdisk') || !have('mmls'))(because('a GPT disk', needsTools('sgdisk', 'mmls')), () => {
  it('agrees with mmls, and recovers a corrupted primary header from the backup, saying so', () => {
    const img = path.join(work, 'gpt.img');
    fs.writeFileSync(img, Buffer.alloc(64 * 1024 * 1024));
    const r = spawnSync('sgdisk', ['-n', '1:2048:+10M', '-t', '1:ef00', '-c', '1:EFI', '-n', '2:0:+20M', '-t', '2:8300', '-c', '2:root', '-n', '3:0:+8M', '-t', '3:8200', img], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const mine = ours(img);
    expect(mine.starts).toEqual(mmls([img]));
    expect(mine.table.scheme).toBe('gpt');
    expect(mine.table.partitions.map((p: { name?: string }) => p.name)).toEqual(['EFI', 'root', '']);
    const fd = fs.openSync(img, 'r+');
    fs.writeSync(fd, Buffer.from([0x42]), 0, 1, 512 + 0x20); // inside the primary header
    fs.closeSync(fd);
    const damaged = ours(img);
    expect(damaged.starts).toEqual(mine.starts);
    expect(damaged.table.findings.map((f: { message: string }) => f.message).join('\n')).toMatch(/backup/i);
  });
});

const noLoop = loopUnavailable();
describe.skipIf(noLoop !== undefined)(`a device${noLoop ? ` (skipped: ${noLoop})` : ''}`, () => {
  afterEach(() => detachAll());
  it('shows the facts acquire records, the table, and says hidden areas do not apply to a loop device; nothing is written', () => {
    const img = path.join(work, 'dev.img');
    fs.writeFileSync(img, Buffer.alloc(16 * 1024 * 1024));
    spawnSync('sfdisk', ['-q', img], { input: 'label: dos\nstart=2048, type=83\n', encoding: 'utf8' });
    const before = fs.readFileSync(img);
    const dev = attachLoop(img);
    const r = run(['inspect', dev, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toMatchObject({ kind: 'block-device', facts: { size_bytes: 16 * 1024 * 1024 }, hidden_areas: { state: 'not applicable' } });
    expect(j.table.partitions).toHaveLength(1);
    detachAll();
    expect(fs.readFileSync(img).equals(before)).toBe(true);
  });
});

describe.skipIf(noLoop !== undefined || !have('sfdisk'))(because('a raw image of a disk with 4096-byte sectors', noLoop ?? needsTools('sfdisk')), () => {
  it('reads its GPT with 4096-byte sectors, found where the header lies (a raw image does not say its sector size)', () => {
    const img = path.join(work, 'gpt-4k.img');
    fs.writeFileSync(img, '');
    fs.truncateSync(img, 64 * 1024 * 1024);
    const dev = spawnSync('losetup', ['--sector-size', '4096', '-f', '--show', img], { encoding: 'utf8' }).stdout.trim();
    expect(dev).toMatch(/^\/dev\/loop\d+$/);
    try {
      const s = spawnSync('sfdisk', ['-q', dev], { input: 'label: gpt\nstart=256, size=4096, type=L\nstart=8192, size=4096, type=L\n', encoding: 'utf8' });
      expect(s.status, s.stderr).toBe(0);
    } finally {
      spawnSync('losetup', ['-d', dev]);
    }
    const r = run(['inspect', img]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/GUID partition table \(GPT\), 4096-byte sectors, 16384 sectors/);
    expect(r.stdout).toMatch(/^1 +0000000256 +0000004351 +0000004096 +16\.0 MiB/m);
    expect(r.stdout).toMatch(/^2 +0000008192 +0000012287 +0000004096 +16\.0 MiB/m);
    expect(r.stdout).toMatch(/a GPT header was found at byte 4096 and none at byte 512: the disk was read with 4096-byte sectors/);
  });
});
