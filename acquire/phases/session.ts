/** What the phases of an acquisition hand each other: the options, and the session `prepare` set up. */
import type { FileHandle } from 'node:fs/promises';
import type { HashAlgorithm } from '../../core/crypto.js';
import type { ExhibitError } from '../../core/errors.js';
import type { AcquisitionRecord } from '../../core/record.js';
import type { FormatDescriptor } from '../../image/descriptor.js';
import type { FormatName, FormatSettings, ImageWriter } from '../../image/types.js';
import type { BadSectorMap, Fill, FillSpec } from '../../source/bad-sectors.js';
import type { Journal } from '../journal.js';
import type { MountEntry } from '../../source/mounts.js';
import type { OutputLock } from '../output-lock.js';
import type { SourceReader } from '../../source/source-reader.js';
import type { SourceFacts } from '../../source/source.js';

export interface AcquireOptions {
  source?: string; // optional when resuming: the journal names it
  outDir: string;
  evidence: string;
  caseId?: string; // required for a new acquisition
  examiner: string;
  description?: string;
  notes?: string;
  /** The image format and its settings, as the journal and the writer keep them (ignored when resuming: the journal's win). */
  settings: FormatSettings;
  hashes: HashAlgorithm[];
  /** Bytes per piece for `<evidence>.pieces` (core/pieces.ts); default DEFAULT_PIECE_SIZE. null: no pieces (bench/pieces.ts measures their cost so; the command line always keeps them). */
  pieceSize?: number | null;
  fill: FillSpec;
  retries: number;
  maxBadRun: number;
  allowMounted: boolean;
  skipBad?: boolean;
  resumeOnly?: boolean; // --resume: there must be something to resume
  commandLine: string[];
  version: string;
  signal?: AbortSignal;
  threads?: number;
  slotSize?: number;
  safePointBytes?: number;
  safePointMs?: number;
  onStart?: (facts: SourceFacts, info: { resumingAt: number }) => void;
  /**
   * Called once the run's final record (complete or incomplete) is durable and before the journal
   * is removed, and again by a later run that finds a complete record beside a stale journal (the
   * first was killed in between). It must be idempotent. The CLI logs the result in the custody log.
   */
  onRecorded?: (record: AcquisitionRecord, recordPath: string) => Promise<void>;
  /**
   * Signs the SHA-256 of the final record just before it is written (noted in the journal), and
   * checks such a signature: a later run calls onRecorded for a complete record it finds beside a
   * journal only when the journal holds that record's SHA-256, signed (see prepare's findResumable).
   */
  vouchRecord?: (sha256: string) => RecordVouch;
  /** Signs the journal at each write, and checks a journal's signature before a resume acts on it (acquire/journal.ts). */
  signJournal?: (text: string) => RecordVouch;
  /** undefined when a key of the store signed the journal as it stands; else why not, in a few words. */
  checkJournal?: (text: string, signature: RecordVouch) => string | undefined;
  /** The signed entry (in words) that logged a session of this acquisition finding its source written, if any: a resume is then refused whatever the journal says. */
  loggedSourceChange?: (caseNumber: string, evidence: string, folder: string, startedUtc: string) => string | undefined;
  checkRecordVouch?: (sha256: string, vouch: RecordVouch) => boolean;
  /** `unreadable`: the sectors found unreadable so far, during the first pass. */
  onProgress?: (bytesDone: number, total: number, unreadable?: BadSectorMap) => void;
  /** A later pass begins: rescue (re-reading what --skip-bad deferred) or rehash (reading the image back). */
  onPass?: (pass: 'rescue' | 'rehash', total: number) => void;
}

export interface AcquireOutcome {
  record: AcquisitionRecord;
  recordPath: string;
  resumedAt: number; // 0 for a fresh acquisition
  /** Set when the result is incomplete: why (interrupted, read error, full disk, moved counter...). */
  error?: ExhibitError;
}

/** The session `prepare` opened: everything is checked, the output folder exists and is locked. */
export interface Session {
  o: AcquireOptions;
  outDir: string;
  handle: FileHandle;
  facts: SourceFacts;
  lock: OutputLock;
  /** The journal: the one found when resuming, or a new one (not yet written). */
  j: Journal;
  resuming: boolean;
  format: FormatDescriptor<FormatName>;
  writer: ImageWriter;
  sectorSize: number;
  fill: Fill;
  /** What the image holds: the source's size, completed to a whole sector for formats that hold whole sectors only. */
  mediaBytes: number;
  /** A file system of the source is mounted (allowed by --allow-mounted). */
  mounted: MountEntry[];
  recordPath: string;
  mapPath: string;
  /** Opened by the copy; closed with the session. */
  sourceReader?: SourceReader;
}

/** An examiner's signature over a final record's SHA-256 (core/record-vouch.ts words it). */
export interface RecordVouch {
  key: string;
  sig: string;
}
