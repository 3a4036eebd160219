/**
 * Finding the frames of a zstd file: a frame longer than the window the scan
 * reads at a time (`zstd disk.img` makes one frame of a whole disk) is found
 * by walking its block headers in the file, with the same length, content
 * size and checksum as a scan whose window holds it; a frame cut short is
 * where the scan stops, whatever the window.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/helpers/cli.js';
import { because, needsTools } from '../../test/helpers/skip.js';
import { ExhibitError } from '../../core/errors.js';
import { openImage } from '../open.js';
import { scanFrames } from './scan.js';

const work = tempDir('exhibit-zstd-scan-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

/** Random bytes broken by runs of text, so the frame holds raw, compressed and RLE blocks. */
function media(size: number): Buffer {
  const b = crypto.createCipheriv('aes-128-ctr', Buffer.alloc(16, 3), Buffer.alloc(16)).update(Buffer.alloc(size));
  for (let at = 0; at < size; at += 300_000) b.fill('exhibit zstd scan ', at, Math.min(size, at + 100_000));
  b.fill(0, size - 200_000);
  return b;
}

async function scan(file: string, window?: number) {
  const h = await fsp.open(file, 'r');
  try {
    return await scanFrames(h, (await h.stat()).size, () => 0, window);
  } finally {
    await h.close();
  }
}

const absent = needsTools('zstd');
describe.skipIf(absent !== undefined)(because('zstd frames longer than the scan window', absent), () => {
  const src = path.join(work, 'media.bin');
  fs.writeFileSync(src, media(3 * 1024 * 1024 + 123));
  const one = path.join(work, 'one.zst');
  const piped = path.join(work, 'piped.zst');
  const two = path.join(work, 'two.zst');
  spawnSync('zstd', ['-q', '-1', '-f', src, '-o', one]);
  spawnSync('sh', ['-c', 'zstd -q -1 -c < "$1" > "$2"', 'sh', src, piped]); // no content size in its header
  fs.writeFileSync(two, Buffer.concat([fs.readFileSync(one), fs.readFileSync(piped)]));

  it('finds each frame as a scan whose window holds it does: length, content size, checksum', async () => {
    for (const f of [one, piped, two]) {
      const whole = await scan(f);
      const small = await scan(f, 64 * 1024);
      expect(whole.entries.length).toBeGreaterThan(0);
      expect(whole.stoppedAt).toBe(fs.statSync(f).size);
      expect(small).toEqual(whole);
    }
    const [a, b] = (await scan(two, 64 * 1024)).entries;
    expect(a).toMatchObject({ offset: 0, decompressed: 3 * 1024 * 1024 + 123 });
    expect(a!.compressed).toBeGreaterThan(64 * 1024);
    expect(b).toMatchObject({ offset: a!.compressed, noContentSize: true });
  });

  it('reads the window a frame needs from its header; one over 128 MiB (zstd --long=28) is refused by name, not called damaged', async () => {
    const long = path.join(work, 'long.zst');
    spawnSync('sh', ['-c', 'head -c 1000000 "$1" | zstd -q --long=28 -c > "$2"', 'sh', src, long]);
    expect((await scan(long)).entries[0]!.window).toBe(2 ** 28);
    expect((await scan(one)).entries[0]!.window).toBeLessThanOrEqual(2 ** 27);
    const err = await openImage(long).then(
      async (o) => {
        await o.reader.close();
        return undefined;
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ExhibitError);
    expect((err as ExhibitError).code).toBe('IMAGE_UNSUPPORTED');
    expect((err as ExhibitError).message).toMatch(/frame 0 needs a 256 MiB window to decompress .*zstd -d --long=31/);
  });

  it('stops where a frame is cut short, whatever the window', async () => {
    const cut = path.join(work, 'cut.zst');
    const bytes = fs.readFileSync(two);
    const firstLength = (await scan(one)).entries[0]!.compressed;
    fs.writeFileSync(cut, bytes.subarray(0, firstLength + Math.floor((bytes.length - firstLength) / 2)));
    for (const window of [64 * 1024, undefined]) {
      const r = await scan(cut, window);
      expect(r.entries).toHaveLength(1);
      expect(r.stoppedAt).toBe(firstLength);
    }
  });
});
