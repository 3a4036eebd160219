/**
 * The files the dashboard reads or has written, each found from what the case
 * store names (never from a request): an acquisition's ddrescue mapfile and
 * record in the folder its custody entry names, a report by the file name its
 * entry logs in the dashboard's reports folder. And the actions, which run
 * exhibit itself as a separate process, exactly as from the command line, so
 * they are published as jobs and logged and signed the same way.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { checkMapFile } from '../verify/map-check.js';
import type { CaseRow, CaseStore } from '../case-store/index.js';
import { sha256Hex } from '../core/crypto.js';
import { EVIDENCE_DIR_MODE } from '../core/modes.js';
import { readRecord } from '../core/record/read.js';
import { parseMapfile, type MediaMap } from './map.js';
import { Refusal } from './refusal.js';

const MAX_MAPFILE = 32 * 1024 * 1024;
const MAX_REPORT = 1024 * 1024 * 1024;
const MAX_RUNNING = 4;

/** A regular file, not followed through a last-component link, up to `max` bytes. */
function readNamed(file: string, max: number, what: string): Buffer {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW | fs.constants.O_NONBLOCK);
  } catch (err) {
    throw new Refusal(404, `${what} ${file} cannot be read (${(err as { code?: string }).code ?? 'error'}).`);
  }
  try {
    const st = fs.fstatSync(fd);
    if (!st.isFile()) throw new Refusal(404, `${what} ${file} is not a regular file.`);
    if (st.size > max) throw new Refusal(413, `${what} ${file} is larger than the ${max} bytes the dashboard reads.`);
    const buf = Buffer.alloc(st.size);
    let at = 0;
    while (at < buf.length) {
      const n = fs.readSync(fd, buf, at, buf.length - at, at);
      if (n === 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    fs.closeSync(fd);
  }
}

interface AcquisitionRow {
  evidence: string;
  folder: string;
  record_file: string;
  record_sha256: string;
}

function acquisition(store: CaseStore, c: CaseRow, seq: number): AcquisitionRow {
  const a = store.db.get('SELECT evidence, folder, record_file, record_sha256 FROM acquisitions WHERE case_id = ? AND entry_seq = ?', [c.id, seq]) as AcquisitionRow | undefined;
  if (!a) throw new Refusal(404, `Entry ${seq} of case ${c.number} is not an acquisition.`);
  if (!path.isAbsolute(a.folder) || a.evidence.includes('/') || a.record_file.includes('/')) throw new Refusal(404, `The store names no usable folder for entry ${seq}.`);
  return a;
}

/** The media map of a logged acquisition, from the mapfile beside its record. */
export function acquisitionMap(store: CaseStore, c: CaseRow, seq: number): { evidence: string; file: string; map: MediaMap | string; sectorSize: number } {
  const a = acquisition(store, c, seq);
  const file = path.join(a.folder, `${a.evidence}.map`);
  // The map is unsigned: it is drawn only beside the record the log holds, and only when it agrees with it (as verify checks it).
  let read: ReturnType<typeof readRecord>;
  try {
    read = readRecord(path.join(a.folder, a.record_file));
  } catch {
    return { evidence: a.evidence, file, map: 'The acquisition record beside the map cannot be read, so the map is not drawn: run exhibit verify on the image.', sectorSize: 512 };
  }
  if (read.sha256 !== a.record_sha256) return { evidence: a.evidence, file, map: 'The acquisition record beside the map is not the one the custody log holds, so the map is not drawn: run exhibit verify on the image.', sectorSize: 512 };
  const problems: string[] = [];
  checkMapFile(a.folder, read.record, problems);
  if (problems.length > 0) return { evidence: a.evidence, file, map: `The mapfile does not agree with the acquisition record (${problems[0]}), so it is not drawn: run exhibit verify on the image.`, sectorSize: read.record.media.sector_size };
  const parsed = parseMapfile(readNamed(file, MAX_MAPFILE, 'The mapfile').toString('latin1'));
  // A parse failure is said without quoting the file (whatever it holds is not shown).
  return { evidence: a.evidence, file, map: typeof parsed === 'string' ? 'The mapfile is not one exhibit wrote, so it is not drawn.' : parsed, sectorSize: read.record.media.sector_size };
}

/** A report the log names, from the reports folder, handed out only when its SHA-256 is the one logged. */
export function reportDownload(store: CaseStore, c: CaseRow, seq: number, reportsDir: string): { name: string; bytes: Buffer; type: string } {
  const r = store.db.get('SELECT file, sha256 FROM reports WHERE case_id = ? AND entry_seq = ?', [c.id, seq]) as { file: string; sha256: string } | undefined;
  if (!r) throw new Refusal(404, `Entry ${seq} of case ${c.number} is not a report.`);
  if (!reportName(r.file)) throw new Refusal(404, `The report of entry ${seq} was not written to this dashboard's reports folder.`);
  const bytes = readNamed(path.join(reportsDir, r.file), MAX_REPORT, 'The report');
  if (sha256Hex(bytes) !== r.sha256) throw new Refusal(409, `The report file ${r.file} is not the one entry ${seq} logged: its SHA-256 differs. It is not handed out.`);
  return { name: r.file, bytes, type: r.file.endsWith('.pdf') ? 'application/pdf' : r.file.endsWith('.jsonld') ? 'application/ld+json' : 'application/octet-stream' };
}

function reportName(name: string): boolean {
  return name === path.basename(name) && !name.startsWith('.') && name.length > 0 && name.length <= 255;
}

export interface ActionOptions {
  reportsDir: string;
  examiner?: string; // who the server runs as: signs what the actions do
  passphrase?: string;
  exhibitBin: string; // bin/exhibit.js
  env: NodeJS.ProcessEnv;
}

export class Actions {
  private running = 0;

  constructor(private readonly o: ActionOptions) {}

  hasReport(name: string): boolean {
    return reportName(name) && fs.existsSync(path.join(this.o.reportsDir, name));
  }

  verify(store: CaseStore, c: CaseRow, seq: number): void {
    const a = acquisition(store, c, seq);
    this.run(['verify'], [path.join(a.folder, a.record_file)], `verify entry ${seq} of case ${c.number}`);
  }

  report(c: CaseRow): void {
    fs.mkdirSync(this.o.reportsDir, { recursive: true, mode: EVIDENCE_DIR_MODE });
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    const name = `${c.number.replace(/[^A-Za-z0-9._-]/g, '_')}-custody-${stamp}.pdf`;
    this.run(['report', '--out', path.join(this.o.reportsDir, name)], [c.number], `report on case ${c.number}`);
  }

  /** `positional` go after `--`: a case number or path that begins with "-" is never taken for an option. */
  private run(command: string[], positional: string[], what: string): void {
    if (!this.o.examiner) throw new Refusal(403, 'No examiner was named when exhibit serve started, so nothing can be signed.');
    if (this.running >= MAX_RUNNING) throw new Refusal(429, `${MAX_RUNNING} actions are running already; wait for one to end.`);
    const env: NodeJS.ProcessEnv = { ...this.o.env, EXHIBIT_NO_PROGRESS: '1' };
    if (this.o.passphrase !== undefined) env.EXHIBIT_PASSPHRASE = this.o.passphrase;
    const child = spawn(process.execPath, [this.o.exhibitBin, ...command, '--examiner', this.o.examiner, '--', ...positional], { env, stdio: ['ignore', 'ignore', 'pipe'] });
    this.running++;
    let err = '';
    child.stderr.on('data', (d: Buffer) => void (err = (err + d.toString('utf8')).slice(-4000)));
    child.on('close', (code) => {
      this.running--;
      process.stderr.write(`exhibit serve: ${what}: ${code === 0 ? 'done' : `ended with exit ${code}`}\n${code === 0 ? '' : err}`);
    });
  }
}
