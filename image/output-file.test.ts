import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOLE_BLOCK, OutputFile } from './output-file.js';
import { tempDir } from '../test/helpers/cli.js';

const dir = tempDir('exhibit-output-file-');
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const zeros = (n: number) => Buffer.alloc(n);
const random = (n: number) => crypto.randomBytes(n);
/** Bytes the file system holds for a file (st_blocks is in 512-byte units). */
const allocated = (p: string) => fs.statSync(p).blocks * 512;

/** Whether this folder's file system keeps holes: a 1 MiB file of one hole allocates nothing. */
function keepsHoles(): boolean {
  const p = path.join(dir, 'probe');
  fs.writeFileSync(p, '');
  fs.truncateSync(p, 1024 * 1024);
  const holes = allocated(p) === 0;
  fs.rmSync(p);
  return holes;
}

async function writeAll(name: string, parts: Buffer[], adoptAt?: number): Promise<{ p: string; f: OutputFile }> {
  const p = path.join(dir, name);
  let f = new OutputFile(p);
  for (const [i, part] of parts.entries()) {
    if (i === adoptAt) {
      await f.sync();
      await f.close();
      f = await OutputFile.adopt(p, f.size);
    }
    await f.writeSparse(part);
  }
  await f.sync();
  await f.close();
  return { p, f };
}

describe('OutputFile.writeSparse', () => {
  it('reads back every byte, zeros included, whatever the offsets of the zero runs', async () => {
    const parts = [random(1000), zeros(3 * HOLE_BLOCK + 17), random(HOLE_BLOCK - 1), zeros(5), zeros(2 * HOLE_BLOCK), random(1), zeros(HOLE_BLOCK * 4)];
    const { p, f } = await writeAll('mixed', parts);
    const want = Buffer.concat(parts);
    expect(f.size).toBe(want.length);
    expect(fs.readFileSync(p).equals(want)).toBe(true);
  });

  it('leaves whole blocks of zeros as holes, a trailing one too, and gives the file its full length on sync', async () => {
    const parts = [random(HOLE_BLOCK), zeros(64 * HOLE_BLOCK), random(HOLE_BLOCK), zeros(32 * HOLE_BLOCK)];
    const p = path.join(dir, 'holes');
    const f = new OutputFile(p);
    for (const part of parts) await f.writeSparse(part);
    expect(fs.statSync(p).size).toBe(66 * HOLE_BLOCK); // the trailing zeros are not written...
    await f.sync(); // ...until the length is set before the fsync
    await f.close();
    expect(fs.statSync(p).size).toBe(98 * HOLE_BLOCK);
    expect(fs.readFileSync(p).equals(Buffer.concat(parts))).toBe(true);
    if (keepsHoles()) expect(allocated(p)).toBeLessThan(8 * HOLE_BLOCK);
  });

  it('creates the file (never over an existing one) even when every byte is zero', async () => {
    const { p } = await writeAll('all-zero', [zeros(4 * HOLE_BLOCK)]);
    expect(fs.statSync(p).size).toBe(4 * HOLE_BLOCK);
    const again = new OutputFile(p);
    await expect(again.writeSparse(zeros(HOLE_BLOCK))).rejects.toMatchObject({ code: 'OUTPUT_EXISTS' });
    expect(fs.statSync(p).size).toBe(4 * HOLE_BLOCK);
  });

  it('resumes after a trailing hole: the adopted file keeps its zeros', async () => {
    const parts = [random(HOLE_BLOCK + 3), zeros(8 * HOLE_BLOCK), random(77), zeros(HOLE_BLOCK * 2)];
    const { p } = await writeAll('adopted', parts, 2);
    expect(fs.readFileSync(p).equals(Buffer.concat(parts))).toBe(true);
  });
});
