/**
 * The shape of an acquisition record, checked field by field: every field a
 * reader of the record uses (the verifier, convert, restore, the report, the
 * case store) is of its kind, numbers are whole and safe, hashes are hex of
 * their algorithm's length, image files are plain names in the record's
 * folder. `checkRecord` names the first field that is not, as
 * "<field> <what is wrong>"; `readRecord` (record/read.ts) puts that in its
 * one message.
 */
import { HASH_ALGORITHMS, type HashAlgorithm } from '../crypto.js';
import type { AcquisitionRecord } from '../record.js';

const HEX_DIGITS: Record<HashAlgorithm, number> = { md5: 32, sha1: 40, sha256: 64, sha512: 128 };

type Fields = Record<string, unknown>;

/** A field that is not as it must be: `field` names it, `message` says what is wrong. */
export class RecordDamage extends Error {
  constructor(readonly field: string, problem: string) {
    super(`${field} ${problem}`);
  }
}

const isFields = (v: unknown): v is Fields => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The fields of a mapping at `at` ("media", "read_errors.ranges entry 2"), each checked by kind. */
class At {
  constructor(readonly at: string, readonly o: Fields) {}

  static of(v: unknown, at: string): At {
    if (!isFields(v)) throw new RecordDamage(at, 'is missing or not a mapping of fields');
    return new At(at, v);
  }

  /** A field's name: `media.size_bytes`; in a list entry, `image.files entry 2: size`. */
  private name(key: string): string {
    if (this.at === '') return key;
    return this.at.endsWith(':') ? `${this.at} ${key}` : `${this.at}.${key}`;
  }

  private has(key: string): boolean {
    return this.o[key] !== undefined && this.o[key] !== null;
  }

  fail(key: string, problem: string): never {
    throw new RecordDamage(this.name(key), problem);
  }

  text(key: string, optional = false): void {
    if (optional && !this.has(key)) return;
    if (typeof this.o[key] !== 'string') this.fail(key, optional ? 'is not text' : 'is missing or not text');
  }

  oneOf(key: string, values: readonly string[]): void {
    if (!values.includes(this.o[key] as string)) this.fail(key, `is missing or not one of: ${values.join(', ')}`);
  }

  /** A whole number from `min` up to 2^53 - 1 (a larger one would not be exact). */
  whole(key: string, optional = false, min = 0): void {
    if (optional && !this.has(key)) return;
    const v = this.o[key];
    if (!Number.isSafeInteger(v) || (v as number) < min) this.fail(key, `is ${optional ? '' : 'missing or '}not a whole number of ${min} or more`);
  }

  number(key: string): void {
    const v = this.o[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) this.fail(key, 'is missing or not a number of 0 or more');
  }

  flag(key: string, optional = false): void {
    if (optional && !this.has(key)) return;
    if (typeof this.o[key] !== 'boolean') this.fail(key, optional ? 'is not true or false' : 'is missing or not true or false');
  }

  texts(key: string): void {
    const v = this.o[key];
    if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) this.fail(key, 'is missing or not a list of text');
  }

  timestamp(key: string, optional = false): void {
    if (optional && !this.has(key)) return;
    const t = this.map(key);
    t.text('utc');
    t.text('local');
  }

  map(key: string, optional?: false): At;
  map(key: string, optional: true): At | undefined;
  map(key: string, optional = false): At | undefined {
    if (optional && !this.has(key)) return undefined;
    return At.of(this.o[key], this.name(key));
  }

  /** Each entry of the list at `key`, as a mapping. */
  list(key: string): At[] {
    const v = this.o[key];
    if (!Array.isArray(v)) this.fail(key, 'is missing or not a list');
    return v.map((x, i) => At.of(x, `${this.name(key)} entry ${i + 1}:`));
  }
}

/** Check a parsed record's shape; throws RecordDamage naming the first field that is wrong. */
export function checkRecord(parsed: unknown): AcquisitionRecord {
  if (!isFields(parsed)) throw new RecordDamage('it', 'is not a mapping of fields (not an exhibit acquisition record)');
  const r = new At('', parsed);
  r.oneOf('record', ['exhibit acquisition', 'exhibit conversion']);
  r.whole('record_version', false, 1);
  r.oneOf('result', ['complete', 'incomplete']);
  r.text('incomplete_reason', true);
  const tool = r.map('tool');
  for (const k of ['name', 'version', 'node', 'openssl']) tool.text(k);
  r.texts('command_line');
  const host = r.map('host');
  for (const k of ['hostname', 'user', 'os']) host.text(k);
  for (const k of ['case', 'evidence', 'examiner']) r.text(k);
  for (const k of ['description', 'notes']) r.text(k, true);
  r.timestamp('started');
  r.timestamp('finished');
  r.number('duration_seconds');
  checkSource(r.map('source'));
  checkReadOnly(r.map('read_only'));
  checkImage(r.map('image'));
  checkMedia(r.map('media'));
  checkReadErrors(r.map('read_errors'));
  for (const s of r.list('sessions')) {
    s.text('examiner');
    s.texts('command_line');
    s.timestamp('started');
    s.timestamp('ended', true);
    s.whole('from_byte');
    s.whole('to_byte', true);
    s.text('outcome', true);
    const ro = s.map('read_only', true);
    if (ro) checkReadOnly(ro);
  }
  const from = r.map('converted_from', true);
  if (from) {
    from.text('format');
    from.text('evidence_number', true);
    from.texts('files');
    from.text('record', true);
    for (const c of from.list('hashes_compared')) {
      for (const k of ['algorithm', 'recorded', 'computed']) c.text(k);
      c.flag('equal');
    }
    const damaged = from.map('damaged', true);
    if (damaged) {
      damaged.whole('first_byte');
      damaged.whole('last_byte');
    }
    from.flag('verified');
    const when = from.map('converted');
    when.timestamp('started');
    when.timestamp('finished');
    when.text('by', true);
  }
  return parsed as unknown as AcquisitionRecord;
}

function checkSource(s: At): void {
  s.oneOf('kind', ['block-device', 'file', 'image']);
  if (s.o.kind === 'image') {
    s.text('model', true);
    s.text('serial', true);
    return;
  }
  s.text('path');
  s.text('resolved_path');
  s.whole('size_bytes');
  s.whole('logical_sector_size', false, 1);
  const d = s.map('device', true);
  if (d) {
    for (const k of ['kernel_name', 'vendor', 'model', 'serial', 'wwid', 'loop_backing_file']) d.text(k, true);
    d.flag('is_partition', true);
    d.flag('removable', true);
  }
}

function checkReadOnly(ro: At): void {
  for (const k of ['method', 'limits', 'note']) ro.text(k, true);
  for (const k of ['opened_read_only', 'unchanged', 'ro_flag_before', 'ro_flag_after']) ro.flag(k, true);
}

function checkImage(im: At): void {
  im.text('format');
  im.text('compression', true);
  for (const k of ['segment_size', 'chunk_sectors', 'frame_size']) im.whole(k, true, 1);
  if (im.o.zstd_level !== undefined && !Number.isSafeInteger(im.o.zstd_level)) im.fail('zstd_level', 'is not a whole number');
  const files = im.list('files');
  for (const f of files) {
    f.text('name');
    plainName(f, 'name');
    f.whole('size');
    if (f.o.sha256 !== undefined) hex(f, 'sha256', HEX_DIGITS.sha256);
  }
}

function checkMedia(m: At): void {
  for (const k of ['size_bytes', 'sectors', 'trailing_bytes', 'bytes_acquired']) m.whole(k);
  m.whole('sector_size', false, 1);
  m.whole('padding_bytes', true);
  m.text('hashes_computed', true);
  const hashes = m.map('hashes', true);
  if (hashes) {
    for (const a of Object.keys(hashes.o)) {
      if (!(HASH_ALGORITHMS as readonly string[]).includes(a)) hashes.fail(a, `is not a hash exhibit knows (${HASH_ALGORITHMS.join(', ')})`);
      hex(hashes, a, HEX_DIGITS[a as HashAlgorithm]);
    }
  }
  const z = m.map('zero_sectors', true);
  if (z) for (const k of ['total', 'filled', 'read_as_zero']) z.whole(k);
  const p = m.map('pieces', true);
  if (p) {
    p.text('file');
    plainName(p, 'file');
    p.whole('piece_size', false, 1);
    p.whole('count', false, 1);
    hex(p, 'sha256', HEX_DIGITS.sha256);
  }
}

function checkReadErrors(e: At): void {
  e.whole('unreadable_sectors');
  e.text('fill');
  e.whole('retries');
  e.text('strategy', true);
  e.text('note');
  for (const r of e.list('ranges')) {
    r.whole('first_sector');
    r.whole('sectors', false, 1);
    r.text('error');
    if (!Number.isSafeInteger((r.o.first_sector as number) + (r.o.sectors as number))) r.fail('sectors', 'runs past the largest sector number exhibit can hold');
  }
}

function plainName(at: At, key: string): void {
  const name = at.o[key] as string;
  if (name === '' || name === '.' || name === '..' || /[/\\\0]/.test(name)) at.fail(key, 'is not a plain file name (a file in the record\'s folder)');
}

function hex(at: At, key: string, digits: number): void {
  const v = at.o[key];
  if (typeof v !== 'string' || v.length !== digits || !/^[0-9a-fA-F]+$/.test(v)) at.fail(key, `is not ${digits} hexadecimal digits`);
}
