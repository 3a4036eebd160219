/**
 * AFF4 images whose map names more than one image stream, built here member
 * by member: verify must audit the stream the map's one range really reads
 * (not the first its index lists), and an image stream outside the media is
 * checked in full, never passed on the media walk's hashes.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { zipOf } from './helpers/aff4-builder.js';
import { run, tempDir } from './helpers/cli.js';

const work = tempDir('exhibit-aff4-streams-');
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

const VOLUME = 'aff4://00000000-1111-2222-3333-444444444444';
const CHUNK = 4096;
const PER_BEVY = 8;
const H = (a: string, ...parts: Buffer[]) => parts.reduce((h, p) => h.update(p), crypto.createHash(a)).digest();
const hex = (b: Buffer) => b.toString('hex');
const member = (urn: string) => urn.replace('aff4://', 'aff4%3A%2F%2F');

/** One image stream's members (stored chunks, indexes, MD5 and SHA-1 block hashes unless `bare`) and its Turtle; `linear` are the MD5 and SHA-1 it states of itself. */
function stream(urn: string, data: Buffer, linear: Buffer, bare = false) {
  const members: [string, Buffer][] = [];
  const lists: Record<string, Buffer[]> = { md5: [], sha1: [] };
  const chunks = Math.ceil(data.length / CHUNK);
  for (let b = 0; b * PER_BEVY < chunks; b++) {
    const n = Math.min(PER_BEVY, chunks - b * PER_BEVY);
    const index = Buffer.alloc(12 * n);
    const body: Buffer[] = [];
    for (let i = 0; i < n; i++) {
      const c = b * PER_BEVY + i;
      const raw = data.subarray(c * CHUNK, Math.min(data.length, (c + 1) * CHUNK));
      const chunk = Buffer.concat([raw, Buffer.alloc(CHUNK - raw.length)]);
      index.writeBigUInt64LE(BigInt(i * CHUNK), i * 12);
      index.writeUInt32LE(CHUNK, i * 12 + 8);
      body.push(chunk);
      for (const a of ['md5', 'sha1']) lists[a]!.push(H(a, raw));
    }
    const name = `${member(urn)}/${String(b).padStart(8, '0')}`;
    members.push([name, Buffer.concat(body)], [`${name}.index`, index]);
    if (!bare) for (const a of ['md5', 'sha1']) members.push([`${name}.blockHash.${a}`, Buffer.concat(lists[a]!.slice(-n))]);
  }
  const listHash = { md5: H('sha512', ...lists.md5!), sha1: H('sha512', ...lists.sha1!) };
  let turtle = `<${urn}> a aff4:ImageStream ; aff4:size "${data.length}"^^xsd:long ; aff4:chunkSize "${CHUNK}"^^xsd:int ; aff4:chunksInSegment "${PER_BEVY}"^^xsd:int ; aff4:stored <${VOLUME}> ; aff4:hash "${hex(H('md5', linear))}"^^aff4:MD5 , "${hex(H('sha1', linear))}"^^aff4:SHA1 .\n`;
  if (!bare) for (const a of ['md5', 'sha1'] as const) turtle += `<${urn}/blockhash.${a}> a aff4:BlockHashes ; aff4:hash "${hex(listHash[a])}"^^aff4:SHA512 .\n`;
  return { members, turtle, listHash: bare ? undefined : listHash };
}

/** A map of one range over the whole media, to target `target` of `idx`, with every map hash and the block map hash over `lists`. */
function image(size: number, idx: string[], target: number, parts: ReturnType<typeof stream>[], lists: { md5: Buffer; sha1: Buffer }) {
  const map = 'aff4://aaaaaaaa-0000-0000-0000-000000000002';
  const points = Buffer.alloc(28);
  points.writeBigUInt64LE(BigInt(size), 8);
  points.writeUInt32LE(target, 24);
  const index = Buffer.from(`${idx.join('\n')}\n`);
  const pointHash = H('sha512', points);
  const idxHash = H('sha512', index);
  const blockMap = H('sha512', lists.md5, lists.sha1, pointHash, idxHash);
  let turtle = '@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .\n@prefix aff4: <http://aff4.org/Schema#> .\n';
  turtle += `<aff4://aaaaaaaa-0000-0000-0000-000000000001> a aff4:DiskImage , aff4:Image ; aff4:dataStream <${map}> ; aff4:size "${size}"^^xsd:long .\n`;
  turtle += `<${map}> a aff4:Map ; aff4:size "${size}"^^xsd:long ; aff4:stored <${VOLUME}> ; aff4:mapPointHash "${hex(pointHash)}"^^aff4:SHA512 ; aff4:mapIdxHash "${hex(idxHash)}"^^aff4:SHA512 ; aff4:blockMapHash "${hex(blockMap)}"^^aff4:SHA512 .\n`;
  const members: [string, Buffer][] = [['container.description', Buffer.from(VOLUME)], ['version.txt', Buffer.from('major=1\nminor=0\n')], [`${member(map)}/map`, points], [`${member(map)}/idx`, index]];
  for (const p of parts) {
    members.push(...p.members);
    turtle += p.turtle;
  }
  members.push(['information.turtle', Buffer.from(turtle)]);
  return zipOf(members, VOLUME, false);
}

it('the one range reads the second stream its index lists: the first, outside the media and claiming its hashes, is checked in full and fails', () => {
  const media = crypto.randomBytes(20 * CHUNK + 1000);
  const S = 'aff4://aaaaaaaa-0000-0000-0000-000000000003';
  const B = 'aff4://bbbbbbbb-0000-0000-0000-000000000009';
  const s = stream(S, media, media);
  const other = stream(B, crypto.randomBytes(media.length), media, true); // other bytes, stating the media's MD5 and SHA-1
  const file = path.join(work, 'two-streams.aff4');
  const good = path.join(work, 'good.aff4');
  fs.writeFileSync(file, image(media.length, [B, S], 1, [s, other], s.listHash!));
  fs.writeFileSync(good, image(media.length, [S], 0, [s], s.listHash!));
  const ok = run(['verify', good, '--no-record']);
  expect(ok.code, ok.stdout + ok.stderr).toBe(0);
  expect(ok.stdout).toMatch(/computed from every chunk as the media was read/);
  const r = run(['verify', file, '--no-record']);
  expect(r.code, r.stdout).toBe(4);
  expect(r.stdout).toMatch(new RegExp(`the MD5 of image stream ${B} stored in the image is [0-9a-f]{32}, the bytes give`));
});
