import crypto from 'node:crypto';
import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { adler32 } from '../../core/adler32.js';
import { decodeChunk, encodeChunk, entropy, entropyAndAdler } from './chunk-codec.js';

/** 32 KiB at a 4-aligned offset of its own buffer, as chunks arrive in the workers. */
function chunk(fill: (b: Uint8Array) => void): Uint8Array {
  const b = new Uint8Array(32768);
  fill(b);
  return b;
}

/** Seeded pseudo-random bytes (the same in every run, so a failure can be replayed). */
function seeded(b: Uint8Array, seed: number): void {
  let block = crypto.createHash('sha256').update(String(seed)).digest();
  for (let i = 0; i < b.length; i += 32) {
    b.set(block.subarray(0, Math.min(32, b.length - i)), i);
    block = crypto.createHash('sha256').update(block).digest();
  }
}

const random = chunk((b) => seeded(b, 1));
const zeros = chunk(() => undefined);
const text = chunk((b) => b.set(Buffer.from('Chain of custody: seal 44812, bag 7. '.repeat(1000)).subarray(0, b.length)));
const twice = chunk((b) => {
  seeded(b.subarray(0, 16384), 2);
  b.copyWithin(16384, 0, 16384);
});
const halfZero = chunk((b) => seeded(b.subarray(0, 16384), 3));

describe('chunk encoding', () => {
  it('stores random data raw with its Adler-32, and compresses the rest', () => {
    expect(encodeChunk(random, 'fast').compressed).toBe(false);
    for (const c of [zeros, text, halfZero]) expect(encodeChunk(c, 'fast').compressed).toBe(true);
  });
  it('still compresses high-entropy data that repeats (the full histogram tells it apart)', () => {
    expect(entropy(twice)).toBeLessThan(7.9916);
    // and over many draws, repeated random data stays below the threshold and random data above it
    for (let seed = 10; seed < 60; seed++) {
      const t = chunk((b) => {
        seeded(b.subarray(0, 16384), seed);
        b.copyWithin(16384, 0, 16384);
      });
      expect(encodeChunk(t, 'fast').compressed).toBe(true);
      expect(entropy(chunk((b) => seeded(b, seed + 1000)))).toBeGreaterThan(7.9916);
    }
    const e = encodeChunk(twice, 'fast');
    expect(e.compressed).toBe(true);
    expect(e.bytes.length).toBeLessThan(20000);
  });
  it('gives exactly what zlib gives where it compresses, at both levels', () => {
    for (const [c, level] of [[text, 1], [zeros, 1], [zeros, 9], [halfZero, 9]] as const) {
      const e = encodeChunk(c, level === 9 ? 'best' : 'fast');
      expect(Buffer.from(e.bytes).equals(zlib.deflateSync(c, { level }))).toBe(true);
    }
  });
  it('compresses only uniform chunks with empty-block, and nothing with none', () => {
    expect(encodeChunk(zeros, 'empty-block').compressed).toBe(true);
    expect(encodeChunk(chunk((b) => b.fill(0xaa)), 'empty-block').compressed).toBe(true);
    expect(encodeChunk(text, 'empty-block').compressed).toBe(false);
    expect(encodeChunk(zeros, 'none').compressed).toBe(false);
  });
  it('round-trips every kind, and never returns wrong bytes from a damaged chunk', () => {
    let caught = 0;
    for (const c of [random, zeros, text, twice, halfZero, random.subarray(0, 1000)]) {
      for (const level of ['none', 'fast', 'best'] as const) {
        const e = encodeChunk(c, level);
        expect(decodeChunk(e.bytes, e.compressed, c.length).equals(Buffer.from(c))).toBe(true);
        for (let at = 0; at < e.bytes.length; at += Math.max(1, Math.floor(e.bytes.length / 50))) {
          const bad = Uint8Array.from(e.bytes);
          bad[at]! ^= 0x01;
          let out: Buffer | undefined;
          try {
            out = decodeChunk(bad, e.compressed, c.length);
          } catch {
            caught++;
            continue;
          }
          // Some bits of a zlib stream are unused: flipping them changes nothing. Anything else is caught.
          expect(out.equals(Buffer.from(c))).toBe(true);
        }
      }
    }
    expect(caught).toBeGreaterThan(500);
  });
  it('computes entropy and Adler-32 in one pass exactly as apart', () => {
    for (const c of [random, text, twice]) {
      const f = entropyAndAdler(c);
      expect(f.adler).toBe(adler32(c));
      expect(f.entropy).toBeCloseTo(entropy(c), 10);
    }
  });
});
