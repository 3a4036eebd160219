/**
 * The AFF4 reader on images built here (every chunk compression, maps with
 * zero, repeated-byte, unknown and unreadable regions, ZIP64), the snappy
 * decoder against snappyjs's encoder, the LZ4 decoder against the lz4 tool's
 * blocks, and hostile containers: each refused with a clear error, quickly.
 */
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import snappy from 'snappyjs';
import { afterAll, describe, expect, it } from 'vitest';
import { ExhibitError } from '../../core/errors.js';
import { buildAff4, expectedMedia, zipOf, type Compression, type Region } from '../../test/helpers/aff4-builder.js';
import { tempDir } from '../../test/helpers/cli.js';
import { openImage } from '../open.js';
import { lz4Decode, snappyDecode } from './codecs.js';
import { scanMedia } from '../../verify/media-scan.js';

const work = tempDir('exhibit-aff4-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

function media(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  let x = seed;
  for (let i = 0; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = i % 4096 < 2048 ? (x >>> 24) & 0x0f : 0x41 + (i % 7); // half noisy, half compressible
  }
  return b;
}

async function readAll(file: string) {
  const { reader, warnings } = await openImage(file);
  try {
    const buf = Buffer.alloc(reader.size);
    const n = await reader.read(buf, 0, reader.size);
    const units: Buffer[] = [];
    const damaged: unknown[] = [];
    for await (const u of reader.units()) {
      if ('data' in u) units.push(Buffer.from(u.data));
      else damaged.push(u.error);
    }
    const stored = await reader.checkStored!({ inline: true });
    return { reader, data: buf.subarray(0, n), walked: Buffer.concat(units), damaged, stored, warnings };
  } finally {
    await reader.close();
  }
}

function write(name: string, bytes: Buffer): string {
  const f = path.join(work, name);
  fs.writeFileSync(f, bytes);
  return f;
}

async function refusal(file: string): Promise<ExhibitError> {
  const t = Date.now();
  const err = await openImage(file).then(
    async (o) => {
      await o.reader.close();
      return undefined;
    },
    (e: unknown) => e,
  );
  expect(Date.now() - t).toBeLessThan(10_000);
  expect(err).toBeInstanceOf(ExhibitError);
  return err as ExhibitError;
}

describe('chunk decoders', () => {
  it('snappy: decodes what snappyjs encodes, of every kind of data', () => {
    for (const [i, d] of [media(70_000, 3), Buffer.alloc(65536, 7), crypto.randomBytes(5000), Buffer.from('abcabcabcabcabcabc'.repeat(900)), Buffer.alloc(0)].entries()) {
      const out = snappyDecode(snappy.compress(d), 1 << 20);
      expect(Buffer.from(out).equals(d), `sample ${i}`).toBe(true);
    }
  });
  it('snappy: runs of every period a copy can overlap (1 to 65 bytes) decode exactly', () => {
    for (let period = 1; period <= 65; period++) {
      const unit = crypto.randomBytes(period);
      const d = Buffer.alloc(40_000);
      for (let at = 0; at < d.length; at += period) unit.copy(d, at);
      expect(Buffer.from(snappyDecode(snappy.compress(d), 1 << 20)).equals(d), `period ${period}`).toBe(true);
    }
  });
  it('snappy: a declared length past the limit, a copy reaching before the start, or a cut stream is an error', () => {
    const good = Buffer.from(snappy.compress(Buffer.alloc(4096, 1)));
    expect(() => snappyDecode(good, 4095)).toThrow(/more than the chunk size/);
    expect(() => snappyDecode(Buffer.from([10, 0x01 | (5 << 2), 0x10]), 100)).toThrow(/reaches back/);
    expect(() => snappyDecode(good.subarray(0, good.length - 1), 4096)).toThrow();
  });
  it('lz4: decodes blocks made by the lz4 tool', (ctx) => {
    if (spawnSync('lz4', ['--version']).status !== 0) ctx.skip(); // needs the lz4 command (apt-get install lz4)
    for (const [i, d] of [media(32768, 9), Buffer.alloc(32768, 0), crypto.randomBytes(32768)].entries()) {
      const r = spawnSync('lz4', ['-c', '-B4', '--no-frame-crc', '-BI'], { input: d });
      const frame = r.stdout;
      // Frame: magic, FLG, BD, (content size), header checksum; then one block: 4-byte size, data.
      const flg = frame[4]!;
      let at = 7 + (flg & 0x08 ? 8 : 0) + (flg & 0x01 ? 4 : 0);
      const size = frame.readUInt32LE(at);
      at += 4;
      const block = frame.subarray(at, at + (size & 0x7fffffff));
      const out = size & 0x80000000 ? block : lz4Decode(block, 32768);
      expect(Buffer.from(out).equals(d), `sample ${i}`).toBe(true);
    }
  });
  it('lz4: output past the limit and matches before the start are errors', () => {
    expect(() => lz4Decode(Buffer.from([0x1f, 0x41, 1, 0, 0xff, 0xff, 0xff, 0xff]), 64)).toThrow(/passes the chunk size|past the chunk size/);
    expect(() => lz4Decode(Buffer.from([0x10, 0x41, 5, 0]), 64)).toThrow(/reaches back/);
  });
});

describe('AFF4 images built here', () => {
  const regions: Region[] = [
    { start: 0, length: 40_000, kind: 'data' },
    { start: 40_000, length: 8192, kind: 'zero' },
    { start: 48_192, length: 1536, kind: 'unreadable' },
    { start: 49_728, length: 3000, kind: 'ff' },
    { start: 52_728, length: 2_100_000, kind: 'unknown' },
    { start: 2_152_728, length: 20_000, kind: 'data' },
  ];
  const size = 2_172_728;
  const m = media(size, 5);
  for (const compression of ['stored', 'deflate', 'zlib', 'snappy', 'lz4'] as Compression[]) {
    it(`${compression} chunks, every kind of map region: reads back as the standard defines, and every stored hash checks`, async () => {
      const file = write(`${compression}.aff4`, buildAff4(m, { compression, regions, zip64: compression === 'snappy' }));
      const r = await readAll(file);
      const want = expectedMedia(m, regions);
      expect(r.reader.size).toBe(size);
      expect(r.data.equals(want)).toBe(true);
      expect(r.walked.equals(want)).toBe(true);
      expect(r.damaged).toEqual([]);
      expect(r.stored.problems).toEqual([]);
      expect(r.stored.checks.length).toBeGreaterThanOrEqual(8);
      expect(r.stored.checks.every((c) => c.equal)).toBe(true);
      expect(r.reader.errorRanges).toEqual([{ first_sector: Math.floor(48_192 / 512), sectors: Math.ceil((48_192 + 1536) / 512) - Math.floor(48_192 / 512) }]);
      expect(r.reader.caseFacts).toMatchObject({ case: 'CASE-7', evidence: 'EV-7', examiner: 'Test Examiner', model: 'Test Disk 1', serial: 'SN-123', physical: true });
      expect(r.warnings.join(' ')).toMatch(/2100000 bytes .*UnknownData/);
    });
  }

  for (const compression of ['snappy', 'lz4', 'deflate'] as Compression[]) {
    it(`${compression}: runs of one repeated chunk (unused space), broken by other chunks, read back exactly, walked and read at random`, async () => {
      const cs = 4096;
      const runs: [number, number][] = [[0, 4], [0x41, 3], [0, 2], [-1, 1], [0, 3], [1, 2], [0, 1], [-1, 2], [0, 5]]; // [byte, chunks]; -1: noise
      const big = Buffer.concat(runs.map(([b, n], k) => (b < 0 ? media(n * cs, 30 + k) : Buffer.alloc(n * cs, b))));
      const file = write(`repeats-${compression}.aff4`, buildAff4(big, { compression, chunkSize: cs, chunksInSegment: 8 }));
      const r = await readAll(file);
      expect(r.walked.equals(big)).toBe(true);
      expect(r.data.equals(big)).toBe(true);
      const { reader } = await openImage(file);
      try {
        for (let i = 0; i < 200; i++) {
          const at = (i * 7919) % big.length;
          const n = Math.min(1 + ((i * 104_729) % (3 * cs)), big.length - at);
          const b = Buffer.alloc(n);
          await reader.read(b, at, n);
          expect(b.equals(big.subarray(at, at + n)), `read of ${n} bytes at ${at}`).toBe(true);
        }
      } finally {
        await reader.close();
      }
    });
  }

  for (const compression of ['stored', 'snappy', 'deflate'] as Compression[]) {
    it(`${compression}: many reads at once (as a mount makes them) each get their own bytes`, async () => {
      const big = media(600_000, 11);
      const { reader } = await openImage(write(`concurrent-${compression}.aff4`, buildAff4(big, { compression, chunkSize: 4096, chunksInSegment: 16 })));
      try {
        const rand = (n: number) => Math.floor(Math.random() * n);
        for (let round = 0; round < 5; round++) {
          const asks = Array.from({ length: 40 }, () => {
            const at = rand(big.length - 1);
            return { at, n: 1 + rand(Math.min(20_000, big.length - at)) };
          });
          const got = await Promise.all(asks.map(async ({ at, n }) => {
            const b = Buffer.alloc(n);
            await reader.read(b, at, n);
            return b;
          }));
          asks.forEach(({ at, n }, i) => expect(got[i]!.equals(big.subarray(at, at + n)), `read of ${n} bytes at ${at}`).toBe(true));
        }
      } finally {
        await reader.close();
      }
    });
  }

  it('linear media hashes on the image are its stored hashes', async () => {
    const small = media(50_000, 2);
    const file = write('hashed.aff4', buildAff4(small, { imageHashes: true }));
    const { reader } = await openImage(file);
    expect(reader.storedHashes).toEqual({ md5: crypto.createHash('md5').update(small).digest('hex'), sha1: crypto.createHash('sha1').update(small).digest('hex') });
    await reader.close();
  });

  it('a chunk altered in place (still a valid chunk) is found by its block hash, with its media bytes', async () => {
    const small = crypto.randomBytes(40_000);
    const img = buildAff4(small, { compression: 'stored' });
    const at = img.indexOf(small.subarray(16_400, 16_464));
    img[at] = img[at]! ^ 0xff;
    const r = await readAll(write('altered.aff4', img));
    expect(r.stored.problems.some((p) => /chunk 4 of stream .*media bytes 16384 to 20479.*MD5 block hash differs/.test(p))).toBe(true);
    expect(r.stored.checks.some((c) => !c.equal && /block map hash/.test(c.against))).toBe(true);
  });
});

// Two walks: one of the test's own, whose chunks the audit watches as they are decoded; and verify's
// (scanMedia, on hashing threads), which computes the block hashes there, as the reader asks it to.
for (const walkKind of ['a walk of its own', "verify's walk"] as const) describe(`the block hashes of a stream that is the whole media, beside a media walk (${walkKind})`, () => {
  // As verify does: the media walk starts, checkStored is handed the digests the walk will give, and the walk decodes each chunk once.
  const passes: { label: string; bytes: number; done: number[] }[] = [];
  async function audit(img: Buffer, name: string) {
    passes.length = 0;
    const { reader } = await openImage(write(`${walkKind === 'a walk of its own' ? 'own' : 'verify'}-${name}`, img));
    try {
      const walk =
        walkKind === "verify's walk"
          ? scanMedia(reader, { algorithms: ['md5', 'sha1', 'sha256'], sectorSize: 512, inline: false }).then((x) => x.hashes)
          : (async () => {
              const h = (['md5', 'sha1', 'sha256'] as const).map((a) => [a, crypto.createHash(a)] as const);
              for await (const u of reader.units()) {
                const data = 'data' in u ? u.data : Buffer.alloc(u.bytes); // a damaged chunk counts as zeros, as in verify's walk
                for (const [, x] of h) x.update(data);
              }
              return Object.fromEntries(h.map(([a, x]) => [a, x.digest('hex')]));
            })();
      const onPass = (label: string, bytes: number) => {
        const p = { label, bytes, done: [] as number[] };
        passes.push(p);
        return (d: number) => void p.done.push(d);
      };
      return await reader.checkStored!({ inline: true, onPass, media: { algorithms: ['md5', 'sha1', 'sha256'], hashes: walk } });
    } finally {
      await reader.close();
    }
  }
  const m = crypto.randomBytes(200_000);
  const build = () => buildAff4(m, { compression: 'stored', chunkSize: 4096, chunksInSegment: 8 });
  /** The zip member whose name ends in `name`: its local header, and where its bytes start and how many. */
  const memberIn = (img: Buffer, name: string) => {
    const at = img.indexOf(Buffer.from(name)); // the local header's copy of the name comes before the directory's
    expect(at).toBeGreaterThan(0);
    const header = img.lastIndexOf(Buffer.from([0x50, 0x4b, 0x03, 0x04]), at);
    return { header, start: header + 30 + img.readUInt16LE(header + 26) + img.readUInt16LE(header + 28), length: img.readUInt32LE(header + 18) };
  };
  /** The member's CRC-32 set to match its bytes as they now are, in its header and in the directory: only exhibit's own checks can tell. */
  const fixCrc = (img: Buffer, name: string) => {
    const { header, start, length } = memberIn(img, name);
    const crc = zlib.crc32(img.subarray(start, start + length));
    img.writeUInt32LE(crc, header + 14);
    img.writeUInt32LE(crc, img.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02]), img.lastIndexOf(Buffer.from(name))) + 16);
  };
  const bevy = (b: number) => `/${String(b).padStart(8, '0')}`;
  const blockHashes = (img: Buffer, b: number, algo: string) => memberIn(img, `${bevy(b)}.blockHash.${algo}`).start;

  it('intact: the SHA-1 block hashes come from the pass of the media walk, the MD5 lists through their hashes, and the note says so', async () => {
    const r = await audit(build(), 'quick.aff4');
    expect(r.problems).toEqual([]);
    expect(passes).toEqual([]); // read once
    expect(r.checks.every((c) => c.equal)).toBe(true);
    expect(r.checks.filter((c) => /hash of the (MD5|SHA-1) block hashes/.test(c.against)).length).toBe(2);
    expect(r.checks.filter((c) => /block map hash/.test(c.against)).length).toBe(2);
    expect(r.checks.filter((c) => /^the (MD5|SHA-1) of image stream/.test(c.against)).length).toBe(2);
    expect(r.notes.join(' ')).toMatch(/the SHA-1 block hashes of image stream \S+ were computed from every chunk as the media was read; its MD5 block hashes were checked through the hash of each list and the block map hash/);
  });

  it('a changed media byte: the SHA-1 list computed on the walk differs, every chunk is checked, and the chunk is named', async () => {
    const img = build();
    const at = img.indexOf(m.subarray(21 * 4096 + 10, 21 * 4096 + 74));
    img[at] = img[at]! ^ 0x40;
    const r = await audit(img, 'quick-media.aff4');
    expect(r.notes).toEqual([]);
    // The second pass is shown as one of its own.
    expect(passes).toHaveLength(1);
    expect(passes[0]).toMatchObject({ label: expect.stringMatching(/^locating the damage in image stream \S+, chunk by chunk$/), bytes: m.length });
    expect(passes[0]!.done.length).toBeGreaterThan(0);
    expect(r.problems.some((p) => /bevy 2 chunk 5 of stream .*media bytes 86016 to 90111.*MD5 block hash differs/.test(p))).toBe(true);
    expect(r.checks.some((c) => !c.equal && /^the MD5 of image stream/.test(c.against))).toBe(true);
  });

  it('media edited and only its linear hashes rewritten in information.turtle (zip CRC set to match): FAILED, the chunk named', async () => {
    const img = buildAff4(m, { compression: 'stored', chunkSize: 4096, chunksInSegment: 8, imageHashes: true });
    const edited = Buffer.from(m);
    const at = img.indexOf(m.subarray(21 * 4096 + 10, 21 * 4096 + 74));
    for (let i = 0; i < 64; i++) {
      img[at + i] = img[at + i]! ^ 0x5a;
      edited[21 * 4096 + 10 + i] = edited[21 * 4096 + 10 + i]! ^ 0x5a;
    }
    const hex = (a: string, b: Buffer) => crypto.createHash(a).update(b).digest('hex');
    const { start, length } = memberIn(img, 'information.turtle');
    let turtle = img.subarray(start, start + length).toString('latin1');
    for (const a of ['md5', 'sha1']) {
      expect(turtle).toContain(hex(a, m));
      turtle = turtle.split(hex(a, m)).join(hex(a, edited)); // the stream's and the image's
    }
    Buffer.from(turtle, 'latin1').copy(img, start);
    fixCrc(img, 'information.turtle');
    const r = await audit(img, 'forged-linear.aff4');
    expect(r.notes).toEqual([]);
    expect(r.problems.some((p) => /bevy 2 chunk 5 of stream .*media bytes 86016 to 90111.*(MD5|SHA-1) block hash differs/.test(p))).toBe(true);
    expect(r.checks.some((c) => !c.equal && /block map hash/.test(c.against))).toBe(true);
  });

  it('a changed stored block hash: its list hash no longer matches, so every chunk is checked, and the chunk is named', async () => {
    const img = build();
    const at = blockHashes(img, 2, 'md5') + 3 * 16 + 5; // bevy 2 chunk 3: chunk 19 of the stream
    img[at] = img[at]! ^ 1;
    fixCrc(img, `${bevy(2)}.blockHash.md5`); // only the list hash can tell
    const r = await audit(img, 'quick-list.aff4');
    expect(r.notes).toEqual([]);
    expect(r.problems.some((p) => /bevy 2 chunk 3 of stream .*media bytes 77824 to 81919.*MD5 block hash differs/.test(p))).toBe(true);
    // Checked in full, the lists are hashed as the chunks give them: the media and its hashes stand, the one stored block hash does not.
    expect(r.problems).toHaveLength(1);
    expect(r.checks.every((c) => c.equal)).toBe(true);
  });

  it("Evimetry's imageStreamIndexHash: the hash of the bevy indexes in order is checked, a wrong one is a problem", async () => {
    const img = build();
    const indexes: Buffer[] = [];
    for (let b = 0; b * 8 * 4096 < m.length; b++) {
      const { start, length } = memberIn(img, `${bevy(b)}.index`);
      indexes.push(img.subarray(start, start + length));
    }
    const right = crypto.createHash('sha512').update(Buffer.concat(indexes)).digest('hex');
    const withHash = (hex: string) => buildAff4(m, { compression: 'stored', chunkSize: 4096, chunksInSegment: 8, extraTurtle: `<aff4://aaaaaaaa-0000-0000-0000-000000000003> aff4:imageStreamIndexHash "${hex}"^^aff4:SHA512 ; aff4:imageStreamHash "${'ab'.repeat(64)}"^^aff4:SHA512 .` });
    const good = await audit(withHash(right), 'index-hash.aff4');
    expect(good.problems).toEqual([]);
    expect(good.checks.filter((c) => /\(imageStreamIndexHash\)$/.test(c.against) && c.equal)).toHaveLength(1);
    expect(good.notes.join(' ')).toMatch(/imageStreamHash .* not checked/);
    const bad = await audit(withHash(`${right.slice(0, -1)}${right.endsWith('0') ? '1' : '0'}`), 'index-hash-bad.aff4');
    expect(bad.problems).toEqual([expect.stringMatching(/^the SHA-512 of the bevy indexes of image stream \S+ stored in the image \(imageStreamIndexHash\) is/)]);
  });

  it('a stored block hash list changed with its zip CRC left as it was: named as damaged, every chunk still checked against the rest', async () => {
    const img = build();
    const at = blockHashes(img, 1, 'sha1') + 7;
    img[at] = img[at]! ^ 0x80;
    const r = await audit(img, 'quick-crc.aff4');
    expect(r.notes).toEqual([]);
    expect(r.problems).toEqual([expect.stringMatching(/^the SHA-1 block hashes of bevy 1 of stream \S+ cannot be read: .*CRC-32/)]);
  });
});

describe('hostile AFF4 containers: a clear error, in bounded time', () => {
  const m = media(20_000, 8);
  const rebuild = (change: (members: [string, Buffer][]) => void) => {
    // Rebuild a container from the builder's members, changed.
    const img = buildAff4(m, { compression: 'snappy' });
    const members: [string, Buffer][] = [];
    let p = 0;
    while (img.readUInt32LE(p) === 0x04034b50) {
      const n = img.readUInt16LE(26 + p);
      const x = img.readUInt16LE(28 + p);
      const size = img.readUInt32LE(18 + p);
      members.push([img.subarray(p + 30, p + 30 + n).toString(), Buffer.from(img.subarray(p + 30 + n + x, p + 30 + n + x + size))]);
      p += 30 + n + x + size;
    }
    change(members);
    return zipOf(members, 'aff4://00000000-1111-2222-3333-444444444444', false);
  };
  const member = (ms: [string, Buffer][], suffix: string) => ms.find(([n]) => n.endsWith(suffix))!;

  it('an encrypted AFF4 is named and refused', async () => {
    const e = await refusal(write('enc.aff4', buildAff4(m, { extraTurtle: '<aff4://k> a aff4:PasswordWrappedKeyBag .' })));
    expect(e.code).toBe('IMAGE_UNSUPPORTED');
    expect(e.message).toMatch(/encrypted AFF4 image/);
  });
  it('a bevy index pointing past its bevy', async () => {
    const f = write('index.aff4', rebuild((ms) => member(ms, '00000000.index')[1].writeBigUInt64LE(1n << 40n, 12)));
    const { reader } = await openImage(f);
    const err = await reader.read(Buffer.alloc(20_000), 0, 20_000).catch((e: unknown) => e);
    expect(String(err)).toMatch(/past the end of its .*bevy/);
    await reader.close();
  });
  it('a map of 2^63 bytes', async () => {
    const e = await refusal(write('huge.aff4', rebuild((ms) => {
      const t = member(ms, 'information.turtle');
      t[1] = Buffer.from(t[1].toString().replaceAll('"20000"^^xsd:long', '"9223372036854775807"^^xsd:long'));
    })));
    expect(e.message).toMatch(/more than exhibit can address/);
  });
  it('a map that targets itself (a loop)', async () => {
    const e = await refusal(write('loop.aff4', rebuild((ms) => {
      const idx = member(ms, '/idx');
      idx[1] = Buffer.from(idx[1].toString().replace('aff4://aaaaaaaa-0000-0000-0000-000000000003', 'aff4://aaaaaaaa-0000-0000-0000-000000000002'));
    })));
    expect(e.message).toMatch(/targets itself/);
  });
  it('a map point outside the media, and overlapping points', async () => {
    expect((await refusal(write('out.aff4', rebuild((ms) => member(ms, '/map')[1].writeBigUInt64LE(1n << 50n, 0))))).message).toMatch(/runs past the end/);
    expect((await refusal(write('overlap.aff4', rebuild((ms) => {
      const p = member(ms, '/map');
      p[1] = Buffer.concat([p[1], p[1]]);
    })))).message).toMatch(/overlaps/);
  });
  it('a zip bomb: a member that inflates past its declared size', async () => {
    // A deflated information.turtle declaring 100 bytes but inflating to 10 MiB.
    const bomb = zlib.deflateRawSync(Buffer.alloc(10 << 20));
    const members: [string, Buffer][] = [['container.description', Buffer.from('aff4://x')], ['information.turtle', bomb]];
    const z = zipOf(members, 'aff4://x', false);
    // Mark information.turtle deflated with a small declared size, in the local and central headers.
    let p = z.indexOf(Buffer.from('PK\x01\x02', 'latin1'));
    p = z.indexOf(Buffer.from('PK\x01\x02', 'latin1'), p + 4);
    z.writeUInt16LE(8, p + 10);
    z.writeUInt32LE(100, p + 24);
    const e = await refusal(write('bomb.aff4', z));
    expect(e.message).toMatch(/does not inflate to its declared 100 bytes/);
  });
  it('a zip directory counting more members than it holds', async () => {
    const z = buildAff4(m);
    z.writeUInt16LE(0xfffe, z.length - 22 - 43 + 10);
    expect((await refusal(write('count.aff4', z))).message).toMatch(/counts 65534 members/);
  });
});

