/**
 * The acquisition record: the YAML file written next to every image, and the
 * single source of truth the verifier, the case store and the report read.
 * Field names are snake_case and stable; `record_version` changes when a
 * field changes meaning.
 *
 * This file holds the schema and the YAML text; the rest of the record
 * module is in record/: read.ts (`readRecord`, the one validated reader),
 * check.ts (the shape it checks), build.ts (`assembleRecord`), paths.ts
 * (where a record lives), atomic.ts (how it is put in place).
 */
import { statSync } from 'node:fs';
import YAML, { Lexer } from 'yaml';
import type { Digests } from './crypto.js';
import type { PiecesSummary } from './pieces.js';
import { readInputSync } from './input-file.js';
import { describeSystemError, ExhibitError } from './errors.js';
import type { Timestamp } from './time.js';
import { normalName } from './text.js';

export { removeAtomicLeftovers, writeFileAtomic } from './record/atomic.js';
export { evidenceOfRecordName, isRecordFileName, journalFileName, recordBesideImage, recordFileName, recordPathFor, RECORD_SUFFIX } from './record/paths.js';

export const RECORD_VERSION = 1;

export interface RecordImageFile {
  name: string; // a plain file name in the record's folder
  size: number;
  sha256?: string; // absent when the image is incomplete
}

/** A drive as the record keeps it (source/block-device.ts probes it); the fields exhibit reads back are typed. */
export interface RecordDevice {
  kernel_name?: string;
  is_partition?: boolean;
  vendor?: string;
  model?: string;
  serial?: string;
  wwid?: string;
  removable?: boolean;
  loop_backing_file?: string;
  /** What the drive hid from the host (HPA, DCO) when it was acquired: the image holds the visible sectors only. */
  hidden_areas?: { state: string; detail: string };
}

/** The source an acquisition read (source/source.ts SourceFacts), all of it written; the fields read back are typed. */
export interface AcquiredSource {
  path: string; // as given
  resolved_path: string;
  kind: 'block-device' | 'file';
  size_bytes: number;
  logical_sector_size: number;
  device?: RecordDevice;
  file?: { atime_preserved?: boolean }; // a regular file: opened without updating its last-access time
}

/** The source of a conversion whose image carried no exhibit record: what the image says. */
export interface ImageSource {
  kind: 'image';
  model?: string | undefined;
  serial?: string | undefined;
  path?: undefined;
  resolved_path?: undefined;
  device?: undefined;
}

export type RecordSource = AcquiredSource | ImageSource;

/** The read-only proof (source/read-only.ts ReadOnlyProof), its provisional form, or a conversion's "not known". */
export interface RecordReadOnly {
  opened_read_only?: boolean;
  method?: string;
  unchanged?: boolean;
  limits?: string;
  ro_flag_before?: boolean;
  ro_flag_after?: boolean;
  note?: string;
}

/** One run that worked on the image (acquire/journal.ts SessionEntry). */
export interface RecordSession {
  examiner: string;
  command_line: string[];
  started: Timestamp;
  ended?: Timestamp;
  from_byte: number;
  to_byte?: number;
  outcome?: string;
  read_only?: RecordReadOnly;
}

export interface RecordRange {
  first_sector: number;
  sectors: number;
  error: string;
}

/** For a converted image: the image it came from, and the hashes compared. */
export interface RecordConvertedFrom {
  format: string;
  /** The source's evidence number verbatim, when the new files had to be named otherwise (empty, blank, not a file name). */
  evidence_number?: string;
  files: string[];
  record?: string;
  hashes_compared: { algorithm: string; recorded: string; computed: string; equal: boolean }[];
  /** The media bytes of the damaged unit (E01 chunk, zstd frame) the conversion stopped at. */
  damaged?: { first_byte: number; last_byte: number };
  verified: boolean;
  converted: { started: Timestamp; finished: Timestamp; by?: string };
}

export interface AcquisitionRecord {
  record: 'exhibit acquisition' | 'exhibit conversion';
  record_version: number;
  result: 'complete' | 'incomplete';
  incomplete_reason?: string;
  tool: { name: 'exhibit'; version: string; node: string; openssl: string };
  command_line: string[];
  host: { hostname: string; user: string; os: string };
  case: string;
  evidence: string;
  examiner: string;
  description?: string;
  notes?: string;
  started: Timestamp;
  finished: Timestamp;
  duration_seconds: number;
  source: RecordSource;
  read_only: RecordReadOnly;
  image: {
    format: string;
    segment_size?: number;
    compression?: string;
    chunk_sectors?: number;
    zstd_level?: number;
    frame_size?: number;
    files: RecordImageFile[];
  };
  media: {
    size_bytes: number; // bytes of the source, all of which the complete image holds
    sector_size: number;
    sectors: number; // whole sectors
    trailing_bytes: number; // bytes after the last whole sector (odd-sized files)
    bytes_acquired: number;
    padding_bytes?: number; // zeros added after the source's last byte to complete its last sector (E01); hashed with the media
    hashes?: Digests; // of exactly the image's media bytes, fills included; absent when incomplete
    hashes_computed?: string; // in-stream, or (after --skip-bad's rescue pass) from the finished image
    zero_sectors?: { total: number; filled: number; read_as_zero: number }; // all-zero whole sectors
    pieces?: PiecesSummary; // the SHA-256 of each piece of the media, in <evidence>.pieces (core/pieces.ts); absent when incomplete
  };
  read_errors: {
    unreadable_sectors: number;
    ranges: RecordRange[];
    fill: string;
    retries: number;
    strategy?: string;
    note: string;
  };
  sessions: RecordSession[]; // each run that worked on this image: who, when, from and to which byte, how it ended
  converted_from?: RecordConvertedFrom;
}

/**
 * Limits on a record that is read: a YAML parser holds several hundred bytes
 * per value, so a few MB of hostile YAML (a list of two million zeros) would
 * take gigabytes. Long lists of unreadable ranges are written as one text
 * value (see RANGES_AS_LIST), so a record exhibit writes stays far below the
 * value count whatever the drive.
 */
export const MAX_RECORD_BYTES = 4 * 1024 * 1024;
export const MAX_RECORD_VALUES = 250_000;

/** More tokens than YAML's lexer makes of any byte (test: core/record.test.ts). */
export const TOKENS_PER_BYTE_AT_MOST = 4;

/**
 * Check YAML that exhibit reads from disk (records, templates) before any
 * parser sees it: at most `maxBytes` of text and `maxValues` YAML tokens,
 * counted by the lexer, which holds nothing, before the parser builds a
 * node. Throws a plain Error saying which limit was passed.
 */
/**
 * The examiners a record credits with the acquisition: its examiner and each session's (a resume by a
 * colleague), each once. Whoever signs its acquisition entry must be one of them (verify and the late
 * logging of a finished record hold to it alike).
 */
export function creditedExaminers(rec: AcquisitionRecord): string[] {
  return [...new Set([rec.examiner, ...(rec.sessions ?? []).map((x) => x.examiner)].map(String))];
}

/** Whether `name` is one of the examiners the record credits (the same name typed with other spacing or compatibility forms counts). */
export function recordCredits(rec: AcquisitionRecord, name: string): boolean {
  return creditedExaminers(rec).some((n) => normalName(n) === normalName(name));
}

export function checkYamlBounds(text: string, limits: { maxBytes: number; maxValues: number }): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > limits.maxBytes) throw new Error(`it is ${bytes} bytes, more than the ${limits.maxBytes} exhibit reads`);
  // The lexer makes at most 3 tokens of a byte (a one-byte document: its start, a scalar's mark and the
  // byte; long texts make under 1.5 a byte), so a text under a quarter of the value limit cannot pass it.
  if (bytes * TOKENS_PER_BYTE_AT_MOST <= limits.maxValues) return;
  let values = 0;
  for (const token of new Lexer().lex(text)) {
    if (/^[ \t\r\n]*$/.test(token)) continue; // spaces and line ends make no node
    if (++values > limits.maxValues) throw new Error(`it holds more than ${limits.maxValues} YAML values, more than exhibit reads`);
  }
}

/** YAML checked by `checkYamlBounds`, then parsed with no aliases; YAML errors pass through, in plain words where the library's are its own. */
export function parseBoundedYaml(text: string, limits: { maxBytes: number; maxValues: number }): unknown {
  checkYamlBounds(text, limits);
  try {
    return YAML.parse(text, { maxAliasCount: 0 });
  } catch (err) {
    if (err instanceof Error) err.message = yamlWords(err.message);
    throw err;
  }
}

/** The YAML library's messages that name its own API or internals, in plain words; others as they are (first line). */
export function yamlWords(message: string): string {
  if (/alias resolution is disabled|excessive alias count/i.test(message)) return 'it uses YAML aliases (*name), which exhibit does not read';
  if (/multiple documents|parseAllDocuments/i.test(message)) return 'it holds more than one YAML document (a line "---" or "..." between them)';
  if (/maximum call stack/i.test(message)) return 'it nests lists or mappings too deeply within each other';
  return message.split('\n')[0]!;
}

/**
 * Read an acquisition record file, bounded (see MAX_RECORD_BYTES): its bytes
 * (for its SHA-256) and what it parses to, unchecked. A file too large, not
 * readable or not YAML is an IMAGE_INVALID error naming it.
 */
export function readRecordFile(file: string): { bytes: Buffer; parsed: unknown } {
  const fail = (why: string, cause?: unknown) => new ExhibitError('IMAGE_INVALID', `the record ${file} cannot be read: ${why}`, cause === undefined ? {} : { cause });
  let bytes: Buffer;
  try {
    const size = statSync(file).size;
    if (size > MAX_RECORD_BYTES) throw fail(`it is ${size} bytes, more than the ${MAX_RECORD_BYTES} exhibit reads`);
    bytes = readInputSync(file); // a regular file only: a named pipe is refused, never waited on
  } catch (err) {
    if (err instanceof ExhibitError) throw err;
    throw fail(describeSystemError(err), err);
  }
  const text = bytes.toString('utf8');
  const known = parsedRecords.get(text);
  if (known !== undefined) return { bytes, parsed: structuredClone(known) };
  let parsed: unknown;
  try {
    parsed = normaliseRanges(parseBoundedYaml(text, { maxBytes: MAX_RECORD_BYTES, maxValues: MAX_RECORD_VALUES }));
  } catch (err) {
    throw fail(err instanceof Error ? (err.message.split('\n')[0] ?? '').replace(/:\s*$/, '') : String(err), err); // the parser's first line, without the colon its excerpt followed
  }
  if (text.length <= CACHED_RECORD_CHARS) {
    if (parsedRecords.size >= CACHED_RECORDS) parsedRecords.delete(parsedRecords.keys().next().value!);
    parsedRecords.set(text, structuredClone(parsed));
  }
  return { bytes, parsed };
}

/**
 * What the last record texts read in this process parsed to, by their whole text: the same bytes
 * parse the same, and YAML costs about 2 ms of a core for a record, most of a small image's check.
 * A process that checks the same evidence again (the dashboard, the test suite) parses it once.
 * Each caller gets its own copy.
 */
const parsedRecords = new Map<string, unknown>();
const CACHED_RECORDS = 32;
const CACHED_RECORD_CHARS = 256 * 1024;

export function renderRecord(record: AcquisitionRecord): string {
  const header = '# exhibit acquisition record. Check it with: exhibit verify <this file>\n';
  const ranges = record.read_errors?.ranges;
  const shown = Array.isArray(ranges) && ranges.length > RANGES_AS_LIST ? { ...record, read_errors: { ...record.read_errors, ranges: rangesAsText(ranges) } } : record;
  return header + YAML.stringify(shown, { lineWidth: 0, aliasDuplicateObjects: false });
}

/**
 * Unreadable ranges past this many are written as one block of text, a line
 * `<first sector> <sectors> <error>` each, instead of a YAML list: the list
 * costs the reader about 16 values a range, and a failing drive can leave
 * hundreds of thousands of ranges, far past what a bounded reader takes. The
 * text is one value, so a record holds about 150,000 ranges within
 * MAX_RECORD_BYTES. `readRecordFile` turns it back into the list.
 */
export const RANGES_AS_LIST = 1000;
type Range = RecordRange;

function rangesAsText(ranges: readonly Range[]): string {
  let out = '';
  for (const r of ranges) out += `${r.first_sector} ${r.sectors} ${String(r.error).replace(/\s+/g, '_')}\n`;
  return out;
}

function rangesFromText(text: string): Range[] {
  const out: Range[] = [];
  let n = 0;
  for (const line of text.split('\n')) {
    n++;
    if (line === '') continue;
    const m = /^(\d{1,16}) (\d{1,16}) (\S+)$/.exec(line);
    const first = Number(m?.[1]);
    const sectors = Number(m?.[2]);
    if (!m || !Number.isSafeInteger(first) || !Number.isSafeInteger(sectors) || sectors < 1) throw new Error(`its unreadable range on line ${n} of the list is not "<first sector> <sectors> <error>"`);
    out.push({ first_sector: first, sectors, error: m[3]! });
  }
  return out;
}

/** A record's ranges written as text are turned back into the list every reader expects. */
function normaliseRanges(parsed: unknown): unknown {
  const errors = (parsed as { read_errors?: { ranges?: unknown } } | null)?.read_errors;
  if (errors && typeof errors === 'object' && typeof errors.ranges === 'string') errors.ranges = rangesFromText(errors.ranges);
  return parsed;
}
