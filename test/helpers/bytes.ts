/**
 * Comparing and hashing files of tens of MiB in a test a MiB at a time, through the same two buffers,
 * instead of reading them whole: a fresh buffer of that size per look cost the test process more system
 * time (page faults) than the look itself.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';

const MiB = 1024 * 1024;
// The two buffers every comparison and hash reads through.
const CHUNK = MiB;
const mine = Buffer.allocUnsafe(CHUNK);
const theirs = Buffer.allocUnsafe(CHUNK);

/** Read exactly `n` bytes of `fd` at `pos` into `buf`; fewer only at the end of the file. */
function readAt(fd: number, buf: Buffer, n: number, pos: number): number {
  let got = 0;
  while (got < n) {
    const k = fs.readSync(fd, buf, got, n - got, pos + got);
    if (k === 0) break;
    got += k;
  }
  return got;
}

/**
 * Whether `files`, one after the other, hold exactly the bytes of `expected` (a buffer, or the path of
 * a file); with `upTo`, whether both hold at least that many bytes and the first `upTo` are the same.
 */
export function filesHold(files: string[], expected: Buffer | string, { upTo }: { upTo?: number } = {}): boolean {
  const expFd = typeof expected === 'string' ? fs.openSync(expected, 'r') : undefined;
  try {
    const theirLength = expFd === undefined ? (expected as Buffer).length : fs.fstatSync(expFd).size;
    const have = files.reduce((n, f) => n + fs.statSync(f).size, 0);
    const want = upTo ?? theirLength;
    if (upTo === undefined ? have !== theirLength : have < upTo || theirLength < upTo) return false;
    let pos = 0;
    for (const f of files) {
      const fd = fs.openSync(f, 'r');
      try {
        for (let off = 0; pos < want; ) {
          const n = readAt(fd, mine, Math.min(CHUNK, want - pos), off);
          if (n === 0) break;
          const other = expFd === undefined ? (expected as Buffer).subarray(pos, pos + n) : theirs.subarray(0, readAt(expFd, theirs, n, pos));
          if (!mine.subarray(0, n).equals(other)) return false;
          off += n;
          pos += n;
        }
      } finally {
        fs.closeSync(fd);
      }
    }
    return pos === want;
  } finally {
    if (expFd !== undefined) fs.closeSync(expFd);
  }
}

/** The SHA-256 of a file. */
export function fileSha256(file: string): string {
  const h = createHash('sha256');
  const fd = fs.openSync(file, 'r');
  try {
    for (let pos = 0, n; (n = readAt(fd, mine, CHUNK, pos)) > 0; pos += n) h.update(mine.subarray(0, n));
  } finally {
    fs.closeSync(fd);
  }
  return h.digest('hex');
}

