/**
 * Why a test cannot run here, in one line, and a test name that carries it:
 * test/summary-reporter.ts prints every skip with the reason in its name (or
 * given to ctx.skip), and names any skip that has none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { have, isRoot, ROOT } from './cli.js';

/** The Debian package of each tool the tests use, for the skip message. */
const PACKAGE: Record<string, string> = {
  sfdisk: 'fdisk',
  sgdisk: 'gdisk',
  'mkfs.ext4': 'e2fsprogs',
  mke2fs: 'e2fsprogs',
  mmls: 'sleuthkit',
  img_stat: 'sleuthkit',
  fls: 'sleuthkit',
  ewfacquire: 'ewf-tools',
  ewfverify: 'ewf-tools',
  ewfinfo: 'ewf-tools',
  ewfexport: 'ewf-tools',
  zstd: 'zstd',
  openssl: 'openssl',
  pdftotext: 'poppler-utils',
  pdfinfo: 'poppler-utils',
  pdfdetach: 'poppler-utils',
  pdftoppm: 'poppler-utils',
  qpdf: 'qpdf',
  ddrescue: 'gddrescue',
  ddrescuelog: 'gddrescue',
  setpriv: 'util-linux',
  losetup: 'util-linux',
  runuser: 'util-linux',
  time: 'time',
};

/** "needs X, Y (apt-get install p q)" for the tools not on the PATH, or undefined when all are. */
export function needsTools(...tools: string[]): string | undefined {
  const missing = tools.filter((t) => !(t === 'time' ? fs.existsSync('/usr/bin/time') : have(t)));
  if (missing.length === 0) return undefined;
  const packages = [...new Set(missing.map((t) => PACKAGE[t] ?? t))];
  return `needs ${missing.join(', ')} (apt-get install ${packages.join(' ')})`;
}

/** "needs root to <what>" for an ordinary user, else undefined. */
export function needsRoot(what: string): string | undefined {
  return isRoot ? undefined : `needs root to ${what}`;
}

/** The images other tools wrote, kept beside the checkout (never in the repository). */
export const INTEROP = path.resolve(ROOT, '..', 'shared', 'fixtures', 'interop');

/** Why the interop images cannot be used, or undefined when they are there. */
export function needsInterop(): string | undefined {
  if (fs.existsSync(INTEROP)) return undefined;
  return (
    `needs the images other tools wrote in ${INTEROP} (not in the repository: ` +
    'test data of dfvfs, plaso, the Sleuth Kit, keramics and dissect; see "Images from other tools" in the README)'
  );
}

/** The first reason given, or undefined when there is none. */
export function anyOf(...whys: (string | undefined)[]): string | undefined {
  return whys.find((w) => w !== undefined);
}

/** The test's name, saying why it is skipped when it is. */
export function because(name: string, why: string | undefined): string {
  return why === undefined ? name : `${name} (skipped: ${why})`;
}
