/**
 * The case metadata sections: header2 (UTF-16LE with BOM, LF, written twice)
 * and header (ASCII, CRLF), both zlib-compressed, in the text layout that
 * libewf's `ewfacquire -f encase6` writes and `ewfinfo` reports as EnCase 6.
 */
import zlib from 'node:zlib';

export interface EwfCaseInfo {
  caseNumber: string;
  evidenceNumber: string;
  examiner: string;
  description?: string;
  notes?: string;
  model?: string;
  serial?: string;
  version: string; // acquiring software version, at most 11 characters
  os: string; // at most 23 characters
  acquired: Date;
  system: Date;
}

/** Tabs and line breaks would shift every field (libewf does not escape them). */
function field(v: string | undefined, max: number): string {
  return (v ?? '').replace(/[\t\r\n]/g, ' ').slice(0, max);
}

const posix = (d: Date): string => String(Math.floor(d.getTime() / 1000));
const local = (d: Date): string => `${d.getFullYear()} ${d.getMonth() + 1} ${d.getDate()} ${d.getHours()} ${d.getMinutes()} ${d.getSeconds()}`;

export function header2Text(i: EwfCaseInfo): string {
  const values = [
    field(i.description, 2999),
    field(i.caseNumber, 2999),
    field(i.evidenceNumber, 2999),
    field(i.examiner, 2999),
    field(i.notes, 2999),
    field(i.model, 2999),
    field(i.serial, 2999),
    field(i.version, 11),
    field(i.os, 23),
    posix(i.acquired),
    posix(i.system),
    '0',
    '',
  ];
  return (
    '\ufeff3\nmain\na\tc\tn\te\tt\tmd\tsn\tav\tov\tm\tu\tp\tdc\n' +
    `${values.join('\t')}\n\n` +
    'srce\n0\t1\np\tn\tid\tev\ttb\tlo\tpo\tah\tgu\taq\n0\t0\n\t\t\t\t\t-1\t-1\t\t\t\n\n' +
    'sub\n0\t1\np\tn\tid\tnu\tco\tgu\n0\t0\n\t\t\t\t1\t\n\n'
  );
}

/** The header section holds ASCII only: other characters become '?' (header2 keeps them). */
export function headerText(i: EwfCaseInfo): string {
  const a = (v: string | undefined, max: number) => field(v, max).replace(/[^\x20-\x7e]/g, '?');
  const values = [
    a(i.caseNumber, 2999),
    a(i.evidenceNumber, 2999),
    a(i.description, 2999),
    a(i.examiner, 2999),
    a(i.notes, 2999),
    a(i.version, 11),
    a(i.os, 23),
    local(i.acquired),
    local(i.system),
    '0',
  ];
  return `1\r\nmain\r\nc\tn\ta\te\tt\tav\tov\tm\tu\tp\r\n${values.join('\t')}\r\n\r\n`;
}

export function header2Payload(i: EwfCaseInfo): Buffer {
  return zlib.deflateSync(Buffer.from(header2Text(i), 'utf16le'));
}

export function headerPayload(i: EwfCaseInfo): Buffer {
  return zlib.deflateSync(Buffer.from(headerText(i), 'latin1'));
}
