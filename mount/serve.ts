/**
 * `exhibit mount`: an image shown as read-only files (`media`, one per
 * partition, `info.txt`) through exhibit's own FUSE file system, and with
 * `--browse` each file system inside mounted read-only under `fs/`. The image
 * is opened by content through the format registry (`openImage`), its files
 * `O_RDONLY`; decoded media is kept in a bounded cache.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ExhibitError, describeSystemError } from '../core/errors.js';
import { recordBesideImage } from '../core/record.js';
import { readRecord, type ReadRecord } from '../core/record/read.js';
import { openImage } from '../image/open.js';
import { readPartitionTable } from '../image/partitions/index.js';
import { readMounts } from '../source/mounts.js';
import { browseVolumes, type Browsed } from './browse.js';
import { FuseSession, type ReadErrorSink } from './fuse-session.js';
import { infoText } from './info-text.js';
import { MediaCache } from './media-cache.js';
import { mountPath, releaseMount } from './release.js';
import { forgetServer, noteServer } from './server-file.js';
import { Tree } from './tree.js';
import { guessFilesystem, partitionVolumes, type Volume } from './volumes.js';
import { shellWord } from '../core/shell-word.js';

const MAX_READ_ERRORS_LISTED = 100;

export interface MountRequest {
  image: string;
  /** --raw: read the image as raw media whatever its first bytes say (image/open.ts). */
  raw?: boolean;
  dir: string;
  browse: boolean;
  /** Bytes of decoded media kept at most. */
  cacheBytes: number;
}

export interface Serving {
  /** What was made, one line each, for the user. */
  lines: string[];
  warnings: string[];
  notes: string[];
  browsed: Browsed[];
  /** Settles when the mount is gone (unmounted) and the image closed. */
  ended: Promise<void>;
}

/** Refuse a place that is not an empty folder, or is a mount point already, before anything is opened. */
export function checkMountPoint(dir: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(dir);
  } catch (err) {
    throw new ExhibitError('USAGE', `${dir} cannot be used as the mount point: ${describeSystemError(err)}`);
  }
  if (!st.isDirectory()) throw new ExhibitError('USAGE', `${dir} is not a folder: exhibit mounts on an empty folder`);
  const at = mountPath(dir);
  const there = readMounts().find((m) => m.mount_point === at);
  if (there) throw new ExhibitError('USAGE', `${dir} is already a mount point (${there.fs_type} from ${there.source})`, { hints: there.fs_type === 'fuse.exhibit' ? [`exhibit umount ${shellWord(dir)} ends that mount`] : [] });
  if (fs.readdirSync(dir).length > 0) throw new ExhibitError('USAGE', `${dir} is not empty: exhibit mounts on an empty folder, so nothing in it is hidden`);
}

export async function mountImage(req: MountRequest, onReadError: ReadErrorSink): Promise<Serving> {
  if (process.getuid?.() !== 0) throw new ExhibitError('MOUNT', 'exhibit mount needs root: it mounts a file system (and, with --browse, attaches loop devices)');
  checkMountPoint(req.dir);
  const opened = await openImage(req.image, { raw: req.raw === true });
  const reader = opened.reader;
  let session: FuseSession | undefined;
  try {
    if (reader.sequentialOnly)
      throw new ExhibitError('USAGE', `${req.image} can only be read in order (a plain zstd file whose frames are too large to decode whole, or do not say their size), so it cannot be mounted`, {
        hints: [`exhibit convert ${shellWord(req.image)} --to zst --out <dir> makes a seekable copy that mounts`],
      });
    const media = new MediaCache(reader, req.cacheBytes);
    const table = await readPartitionTable(reader, reader.sectorSize); // none known (raw, zst): guessed from where the GPT header lies
    const { volumes, skipped } = partitionVolumes(table, reader.size);
    const warnings = [...opened.warnings, ...skipped];
    // What the partition table's check found wrong (a damaged GPT, a partition past the end): in info.txt with the table, and said on the terminal.
    const tableSays = table.findings.filter((f) => f.severity !== 'info').map((f) => `partition table: ${f.message}`);

    const first = fs.statSync(reader.files[0]!);
    const tree = new Tree(first.mode & 0o444, (first.mode & 0o444) | ((first.mode & 0o444) >> 2)); // the image file's read bits; folders searchable by whoever may read
    tree.file(tree.root, 'media', reader.size, (o, n) => media.pieces(o, n));
    for (const v of volumes) tree.file(tree.root, v.name, v.bytes, (o, n) => media.pieces(v.start + o, n));
    const facts = { image: path.resolve(req.image), reader, table, volumes, warnings };
    // info.txt is written once the record beside the image is read, after the mount is ready (parsing a
    // record takes a while); until then a look at info.txt waits for it.
    const info = tree.text(tree.root, 'info.txt', '', true);
    let record: ReadRecord | { missing: string } | undefined;
    const readErrors: string[] = [];
    let browseSaid: Map<string, string> | undefined;
    const render = (): void => {
      if (record) info.set(infoText({ ...facts, record, ...(browseSaid ? { browse: browseSaid } : {}), readErrors }));
    };
    // Browsing: the partitions, or the whole media when it holds one file system and no table.
    const toBrowse: Volume[] = volumes.length > 0 || table.scheme !== 'none' ? volumes : [{ name: 'media', start: 0, bytes: reader.size, description: 'the whole media' }];
    if (req.browse) {
      const fsDir = tree.dir(tree.root, 'fs');
      for (const v of toBrowse) {
        tree.dir(fsDir, v.name);
        if (v.fs === undefined) {
          const found = await guessFilesystem((o, n) => media.read(v.start + o, n), v.bytes);
          if (found !== undefined) v.fs = found;
        }
      }
    }

    const sink: ReadErrorSink = (node, offset, size, err) => {
      if (readErrors.length < MAX_READ_ERRORS_LISTED) {
        readErrors.push(`${node.name} bytes ${offset}..${offset + size - 1}: ${err instanceof Error ? err.message : String(err)}`);
        render();
      }
      onReadError(node, offset, size, err);
    };
    session = new FuseSession(tree, { uid: first.uid, gid: first.gid, mtime: Math.floor(first.mtimeMs / 1000) }, sink);
    await session.mount(req.dir, path.resolve(req.image));
    let browsed: Browsed[] = [];
    try {
      if (req.browse) {
        browsed = await browseVolumes(mountPath(req.dir), toBrowse);
        browseSaid = new Map(browsed.map((b) => [b.volume, b.said]));
      }
      noteServer(req.dir);
    } catch (err) {
      await releaseMount(req.dir).catch(() => undefined); // whatever was made goes again
      await session.ended$;
      throw err;
    }
    setImmediate(() => {
      record = recordOf(opened.base);
      render();
    });
    const s = session;
    const ended = s.ended$.finally(async () => {
      forgetServer(req.dir);
      await reader.close();
    });
    const lines = [`${req.dir}/media: ${reader.size} bytes, read-only`, ...volumes.map((v) => `${req.dir}/${v.name}: ${v.description}${v.fs ? ` [${v.fs}]` : ''}, ${v.bytes} bytes`), `${req.dir}/info.txt: the image's facts and hashes`];
    for (const b of browsed) lines.push(`${req.dir}/fs/${b.volume}: ${b.said}`);
    return { lines, warnings: [...warnings, ...tableSays], notes: opened.notes, browsed, ended };
  } catch (err) {
    await reader.close();
    throw err;
  }
}

function recordOf(base: string): ReadRecord | { missing: string } {
  try {
    const file = recordBesideImage(base);
    if (!fs.existsSync(file)) return { missing: `none beside the image (${path.basename(file)})` };
    return readRecord(file);
  } catch (err) {
    return { missing: err instanceof Error ? err.message : String(err) };
  }
}
