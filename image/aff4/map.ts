/**
 * An AFF4 map: the media as a list of ranges, each taken from a target (an
 * image stream of this container, or a symbolic stream such as aff4:Zero),
 * the gaps between them filled from the map's gap stream. The `map` member
 * holds 28-byte points (media offset, length, target offset: 64-bit; target
 * number: 32-bit) and `idx` the targets' URNs, one per line. Every point is
 * checked before use: inside the media, inside its target, not overlapping
 * another; a map that targets another map is refused, so there is no loop.
 */
import { ExhibitError } from '../../core/errors.js';
import { AFF4 } from './model.js';

export const POINT = 28;

/** A target a range of the media comes from. */
export type Target = { kind: 'stream'; urn: string; size: number } | { kind: 'symbolic'; urn: string; name: string; byte?: number; text?: string };

/** The media, cut into ranges that cover it without gap or overlap, in order. */
export interface Layout {
  count: number;
  start: Float64Array;
  length: Float64Array;
  target: Uint32Array;
  targetOffset: Float64Array;
  targets: Target[];
}

const invalid = (file: string, why: string) => new ExhibitError('IMAGE_INVALID', `${file}: ${why}`);

/** A symbolic stream by its URN, or undefined when the URN is not one. */
export function symbolic(urn: string): Target | undefined {
  if (!urn.startsWith(AFF4)) return undefined;
  const name = urn.slice(AFF4.length);
  if (name === 'Zero') return { kind: 'symbolic', urn, name, byte: 0 };
  if (name === 'UnknownData') return { kind: 'symbolic', urn, name, text: 'UNKNOWN' };
  if (name === 'UnreadableData') return { kind: 'symbolic', urn, name, text: 'UNREADABLEDATA' };
  const m = /^SymbolicStream([0-9A-Fa-f]{2})$/.exec(name);
  if (m) return { kind: 'symbolic', urn, name, byte: parseInt(m[1]!, 16) };
  return undefined;
}

/** A layout of one whole target (an image whose data stream is an image stream itself). */
export function wholeLayout(t: Target, size: number): Layout {
  return { count: size > 0 ? 1 : 0, start: Float64Array.of(0), length: Float64Array.of(size), target: Uint32Array.of(0), targetOffset: Float64Array.of(0), targets: [t] };
}

/**
 * Build the layout from the `map` and `idx` members. `resolve` turns a
 * target URN into a target (or throws why it cannot be read).
 */
export function buildLayout(points: Buffer, idx: Buffer, size: number, gapUrn: string, resolve: (urn: string) => Target, file: string): Layout {
  if (points.length % POINT !== 0) throw invalid(file, `its map holds ${points.length} bytes, not a whole number of ${POINT}-byte points`);
  const urns = idx.toString('utf8').split(/\r?\n/).filter((l) => l.trim() !== '').map((l) => l.trim());
  const targets = urns.map(resolve);
  const gap = symbolic(gapUrn);
  if (!gap) throw invalid(file, `its map's gap stream ${gapUrn} is not a symbolic stream exhibit knows`);
  const gapId = targets.length;
  targets.push(gap);
  const n = points.length / POINT;
  const order = new Uint32Array(n);
  const mapped = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    order[i] = i;
    const at = i * POINT;
    const m = points.readBigUInt64LE(at);
    const len = points.readBigUInt64LE(at + 8);
    const to = points.readBigUInt64LE(at + 16);
    const t = points.readUInt32LE(at + 24);
    const where = `map point ${i} (media byte ${m}, ${len} bytes)`;
    if (len === 0n) throw invalid(file, `${where} is empty`);
    if (m + len > BigInt(size)) throw invalid(file, `${where} runs past the end of the ${size}-byte media`);
    if (t >= urns.length) throw invalid(file, `${where} names target ${t}, but the map's index lists ${urns.length}`);
    const target = targets[t]!;
    if (target.kind === 'stream' && to + len > BigInt(target.size)) throw invalid(file, `${where} points to bytes ${to} to ${to + len - 1n} of ${target.urn}, past its end (${target.size} bytes)`);
    if (to > BigInt(Number.MAX_SAFE_INTEGER)) throw invalid(file, `${where} points to byte ${to} of its target, more than exhibit can address`);
    mapped[i] = Number(m);
  }
  order.sort((a, b) => mapped[a]! - mapped[b]!);
  // Ranges in media order, the gaps filled from the gap stream: at most 2n + 1.
  const cap = 2 * n + 1;
  const L: Layout = { count: 0, start: new Float64Array(cap), length: new Float64Array(cap), target: new Uint32Array(cap), targetOffset: new Float64Array(cap), targets };
  const push = (s: number, len: number, t: number, to: number) => {
    const k = L.count++;
    L.start[k] = s;
    L.length[k] = len;
    L.target[k] = t;
    L.targetOffset[k] = to;
  };
  let pos = 0;
  for (const i of order) {
    const at = i * POINT;
    const s = mapped[i]!;
    const len = Number(points.readBigUInt64LE(at + 8));
    if (s < pos) throw invalid(file, `map point ${i} (media byte ${s}) overlaps the point before it, which ends at byte ${pos}`);
    if (s > pos) push(pos, s - pos, gapId, pos);
    push(s, len, points.readUInt32LE(at + 24), Number(points.readBigUInt64LE(at + 16)));
    pos = s + len;
  }
  if (pos < size) push(pos, size - pos, gapId, pos);
  return L;
}

/** The range holding media byte `pos` (binary search). */
export function rangeAt(L: Layout, pos: number): number {
  let lo = 0;
  let hi = L.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >>> 1;
    if (L.start[mid]! <= pos) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

const REPEAT = 1024 * 1024;
const patterns = new Map<string, Buffer>();

/** Fill `out` with a symbolic stream's bytes from its offset `at`: a repeated byte, or a text repeated in 1 MiB blocks. */
export function fillSymbolic(t: Extract<Target, { kind: 'symbolic' }>, at: number, out: Uint8Array): void {
  if (t.byte !== undefined) {
    out.fill(t.byte);
    return;
  }
  let p = patterns.get(t.text!);
  if (!p) {
    p = Buffer.alloc(REPEAT);
    const unit = Buffer.from(t.text!, 'latin1');
    for (let i = 0; i < REPEAT; i += unit.length) unit.copy(p, i, 0, Math.min(unit.length, REPEAT - i));
    patterns.set(t.text!, p);
  }
  let o = 0;
  let q = at % REPEAT;
  while (o < out.length) {
    const n = Math.min(out.length - o, REPEAT - q);
    out.set(p.subarray(q, q + n), o);
    o += n;
    q = 0;
  }
}
