/**
 * Which file names are image files: the one rule for "is this a file of an
 * image set, of which evidence, and is it the set's first file". Names only:
 * what a file holds is for the readers to say.
 *
 *   raw        <base>.raw .dd .img .bin (any case)
 *   split raw  <base>.001, .002, ... (three digits or more; .001 is the first)
 *   EWF        <base>.E01 (or .e01, .s01, .S01), then .E02 ... .E99, .EAA ... .ZZZ
 *   EWF2       <base>.Ex01, then .Ex02 ... .Ex99, .ExAA ... .EzZZ (read only)
 *   zstd       <base>.zst
 */
export type ImageNameKind = 'raw' | 'split-raw' | 'e01' | 'ex01' | 'zst';

export interface ImageFileName {
  kind: ImageNameKind;
  /** The name the set's files share (the evidence id exhibit named them after). */
  base: string;
  /** Whether this is the file an image is opened by. */
  first: boolean;
}

const RULES: readonly { kind: ImageNameKind; member: RegExp; first: RegExp }[] = [
  { kind: 'raw', member: /^(.+)\.(raw|dd|img|bin)$/i, first: /./ },
  { kind: 'zst', member: /^(.+)\.(zst)$/, first: /./ },
  { kind: 'split-raw', member: /^(.+)\.(\d{3,})$/, first: /^001$/ },
  { kind: 'e01', member: /^(.+)\.([E-Ze-z](?:\d\d|[A-Za-z]{2}))$/, first: /^[EeSs]01$/ },
  { kind: 'ex01', member: /^(.+)\.([Ee][X-Zx-z](?:\d\d|[A-Za-z]{2}))$/, first: /^[Ee][Xx]01$/ },
];

/** What an image file's name says, or undefined for a name no image file of exhibit's formats has. */
export function imageFileName(name: string): ImageFileName | undefined {
  for (const r of RULES) {
    const m = r.member.exec(name);
    if (m) return { kind: r.kind, base: m[1]!, first: r.first.test(m[2]!) };
  }
  return undefined;
}

/** Whether `name` is the first file of an image (what an image is opened by). */
export function isFirstImageFile(name: string): boolean {
  return imageFileName(name)?.first === true;
}

/** Whether `name` is a file of an image of `evidence` (any segment, any format). */
export function isImageFileOf(name: string, evidence: string): boolean {
  return imageFileName(name)?.base === evidence;
}
