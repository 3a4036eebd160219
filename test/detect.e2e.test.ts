/**
 * Inputs are identified by their first bytes, never by their name alone:
 * containers exhibit does not read, and an E01 segment other than the first,
 * are named and refused with exit 2 by every command that reads an image,
 * which writes nothing; an E01 under another name is read as an E01 and the
 * name is reported; a file with no known signature is read as raw media and
 * the output says so.
 */
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeSourceFile, run as exhibit, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-detect-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** A small file holding `magic` at `at` (from the end when negative), the rest pseudo-random. */
function container(name: string, parts: { at: number; bytes: string }[], size = 8192): string {
  const file = path.join(work, 'in', name);
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 2654435761) >>> 24;
  for (const p of parts) Buffer.from(p.bytes, 'latin1').copy(b, p.at < 0 ? size + p.at : p.at);
  fs.writeFileSync(file, b);
  return file;
}

const UNSUPPORTED: [string, string, { at: number; bytes: string }[]][] = [
  ['EV.Lx01', 'an EWF2 logical evidence file (Lx01)', [{ at: 0, bytes: 'LEF2\r\n\x81\x00' }]],
  ['EV.L01', 'a logical evidence file (L01)', [{ at: 0, bytes: 'LVF\x09\x0d\x0a\xff\x00\x01\x01\x00' }]],
  ['EV.aff', 'an AFF image', [{ at: 0, bytes: 'AFF10\r\n\x00' }]],
  ['EV.zip', 'a zip archive', [{ at: 0, bytes: 'PK\x03\x04\x14\x00\x00\x00\x00\x00' }, { at: 30, bytes: 'notes.txt' }]],
  ['EV.vmdk', 'a VMware disk (VMDK)', [{ at: 0, bytes: 'KDMV\x01\x00\x00\x00' }]],
  ['EV-desc.vmdk', 'a VMware disk descriptor (VMDK)', [{ at: 0, bytes: '# Disk DescriptorFile\nversion=1\n' }]],
  ['EV.vhd', 'a virtual PC disk (VHD)', [{ at: -512, bytes: 'conectix\x00\x00\x00\x02' }]],
  ['EV.vhdx', 'a Hyper-V disk (VHDX)', [{ at: 0, bytes: 'vhdxfile' }]],
  ['EV.qcow2', 'a QEMU disk (QCOW)', [{ at: 0, bytes: 'QFI\xfb\x00\x00\x00\x03' }]],
  ['EV.vdi', 'a VirtualBox disk (VDI, written by QEMU)', [{ at: 0, bytes: '<<< QEMU VM Virtual Disk Image >>>\n' }, { at: 0x40, bytes: '\x7f\x10\xda\xbe' }]],
  ['EV-other.vdi', 'a VirtualBox disk (VDI)', [{ at: 0, bytes: '<<< Some Future Disk Image >>>\n' }, { at: 0x40, bytes: '\x7f\x10\xda\xbe' }]],
  ['disk.dd.gz', 'a gzip-compressed file (decompress it first, e.g. gzip -dk)', [{ at: 0, bytes: '\x1f\x8b\x08\x00' }]],
  ['disk.dd.xz', 'an xz-compressed file (decompress it first, e.g. xz -dk)', [{ at: 0, bytes: '\xfd7zXZ\x00' }]],
  ['disk.dd.bz2', 'a bzip2-compressed file (decompress it first, e.g. bzip2 -dk)', [{ at: 0, bytes: 'BZh91AY&SY' }]],
  ['disk.dd.lz4', 'an lz4-compressed file (decompress it first, e.g. lz4 -d)', [{ at: 0, bytes: '\x04\x22\x4d\x18' }]],
];

/** Every command that reads an image, each given `file`; each must refuse it with exit 2 and one line naming `what`. */
function refusedByAll(file: string, what: RegExp): void {
  const out = path.join(work, 'out', path.basename(file));
  const target = path.join(work, 'targets', `${path.basename(file)}.img`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const runs = {
    verify: exhibit(['verify', file]),
    inspect: exhibit(['inspect', file]),
    convert: exhibit(['convert', file, '--to', 'raw', '-o', out]),
    restore: exhibit(['restore', file, target, '--no-record']),
  };
  for (const [command, r] of Object.entries(runs)) {
    expect(r.code, `${command}: ${r.stderr}`).toBe(2);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('exhibit: error:'));
    expect(lines, `${command}: ${r.stderr}`).toHaveLength(1);
    expect(lines[0], command).toMatch(what);
    expect(r.stdout, command).toBe('');
  }
  expect(fs.existsSync(out), 'convert wrote nothing').toBe(false);
  expect(fs.existsSync(target), 'restore wrote nothing').toBe(false);
}

describe('containers exhibit does not read', () => {
  it.each(UNSUPPORTED)('%s is named as %s and refused by verify, inspect, convert and restore', (name, what, parts) => {
    const file = container(name, parts);
    refusedByAll(file, new RegExp(`${name.replace(/\./g, '\\.')} is ${what.replace(/[()]/g, '\\$&')}, which exhibit does not read`));
  });

  it('a refusal says how to read a copy of a drive that only begins as a container does: --raw, which reads it so', () => {
    const file = container('begins-zip.dd', [{ at: 0, bytes: 'PK\x03\x04\x14\x00\x00\x00\x00\x00' }]);
    const r = exhibit(['verify', file, '--no-record']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/hint: if it is a copy of a drive \(or of a file\) that only begins as one does, --raw reads it as raw media/);
    const v = exhibit(['verify', file, '--no-record', '--raw', '--json']);
    expect(JSON.parse(v.stdout).image.format).toBe('raw');
    // Segment number 0 is no E01 segment's: said as such, not as "a later segment".
    const zero = container('begins-evf0.dd', [{ at: 0, bytes: 'EVF\x09\x0d\x0a\xff\x00\x01\x00\x00' }]);
    refusedByAll(zero, /begins-evf0\.dd begins with the E01 signature but gives segment number 0, which no E01 segment has/);
  });

  it('a container under a name that says raw is still refused for what it is', () => {
    const file = container('EV.raw', [{ at: 0, bytes: 'LEF2\r\n\x81\x00' }]);
    refusedByAll(file, /EV\.raw is an EWF2 logical evidence file \(Lx01\), which exhibit does not read/);
  });
});

describe('E01 images by content', () => {
  const src = path.join(work, 'src.bin');
  const e01 = path.join(work, 'e01');
  const one = path.join(work, 'one');
  beforeAll(() => {
    makeSourceFile(src, 3 * 1024 * 1024, 5);
    for (const [dir, size] of [[e01, '1MiB'], [one, '16MiB']] as const) {
      const r = exhibit(['acquire', src, '-o', dir, '-c', 'D-1', '-e', 'EV', '-x', 'Detect Examiner', '-f', 'e01', '--chunk-sectors', '16', '--segment-size', size, '--compression', 'none'], {
        env: { EXHIBIT_HOME: path.join(work, 'home') },
      });
      expect(r.code, r.stderr).toBe(0);
    }
    expect(fs.existsSync(path.join(e01, 'EV.E02'))).toBe(true);
    expect(fs.existsSync(path.join(one, 'EV.E02'))).toBe(false);
  });

  it('a later segment given alone (or in place) is named and refused', () => {
    const alone = path.join(work, 'alone');
    fs.mkdirSync(alone);
    fs.copyFileSync(path.join(e01, 'EV.E02'), path.join(alone, 'EV.E02'));
    refusedByAll(path.join(alone, 'EV.E02'), /EV\.E02 is segment 2 of an E01 image, not its first/);
    // Renamed to look like a first segment, it is still segment 2.
    fs.copyFileSync(path.join(e01, 'EV.E02'), path.join(alone, 'OTHER.E01'));
    refusedByAll(path.join(alone, 'OTHER.E01'), /OTHER\.E01 is segment 2 of an E01 image/);
    const r = exhibit(['verify', path.join(e01, 'EV.E02')]);
    expect(r.code, r.stderr).toBe(2);
  });

  it('an E01 named .raw is read as an E01, and the name is reported', () => {
    const dir = path.join(work, 'renamed');
    fs.mkdirSync(dir);
    const file = path.join(dir, 'EV.raw');
    fs.copyFileSync(path.join(one, 'EV.E01'), file);
    const v = exhibit(['verify', file, '--json']);
    expect(v.code, v.stderr).toBe(0);
    const report = JSON.parse(v.stdout) as { verdict: string; image: { format: string }; notes: string[]; comparisons: { against: string }[] };
    expect(report.verdict).toBe('verified');
    expect(report.image.format).toBe('e01');
    expect(report.notes).toContain('EV.raw holds an E01 image, not a raw image as its name says: it was read as what it holds');
    const i = exhibit(['inspect', file]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stdout).toMatch(/EV\.raw: e01 image/);
    expect(i.stderr).toMatch(/warning: EV\.raw holds an E01 image/);
    const c = exhibit(['convert', file, '--to', 'raw', '-o', path.join(dir, 'out')]);
    expect(c.code, c.stderr).toBe(0);
    expect(fs.readFileSync(path.join(dir, 'out', 'EV.raw')).equals(fs.readFileSync(src))).toBe(true);
  });
});

describe('an empty name', () => {
  it('is wrong usage for every command that reads an image, and nothing is made', () => {
    const out = path.join(work, 'out-empty');
    for (const args of [['verify', ''], ['inspect', ''], ['convert', '', '--to', 'raw', '-o', out], ['restore', '', path.join(work, 'empty-target.img'), '--no-record']]) {
      const r = exhibit(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(/^exhibit: error: the .* given is an empty name$/m);
    }
    expect(fs.existsSync(out)).toBe(false);
  });
});

describe('files with no known signature', () => {
  it('7 bytes of garbage named .zst are refused, and nothing is written', () => {
    const file = path.join(work, 'garbage', 'EV.zst');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, Buffer.from('garbage'));
    refusedByAll(file, /EV\.zst is named as a zstd image but does not read as one/);
  });

  it('a file with no signature is read as raw media, and the output says so', () => {
    const file = path.join(work, 'plain', 'disk.bin');
    fs.mkdirSync(path.dirname(file), { recursive: true });
    makeSourceFile(file, 64 * 1024, 3);
    const v = exhibit(['verify', file]);
    expect(v.stdout).toMatch(/note: no known container signature: read as raw media/);
    const i = exhibit(['inspect', file]);
    expect(i.code, i.stderr).toBe(0);
    expect(i.stderr).toMatch(/note: no known container signature: read as raw media/);
    const c = exhibit(['convert', file, '--to', 'zst', '-o', path.join(work, 'plain', 'out')]);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stderr).toMatch(/note: no known container signature: read as raw media/);
  });
});
