import { shownLines } from '../../core/text.js';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { ExhibitError, describeSystemError, type ErrorCode } from '../../core/errors.js';
import { checkMountPoint, mountImage, type MountRequest } from '../../mount/serve.js';
import { exhibitMountAt, releaseMount } from '../../mount/release.js';
import { waitForServer } from '../../mount/server-file.js';
import { action } from '../action.js';
import { io } from '../io.js';
import { info } from '../messages.js';
import { sizeOption } from '../numbers.js';
import { interruptSignal } from '../signals.js';
import { shellWord } from '../../core/shell-word.js';
import { RAW_OPTION_HELP } from '../format-options.js';

interface MountFlags {
  json?: boolean;
  browse?: boolean;
  raw?: boolean;
  foreground?: boolean;
  cache?: string;
  readyFd?: string;
}

const MiB = 1024 * 1024;
/** The serving process's program: only the mount's modules, not every command's (it is ready sooner). */
const SERVER = fileURLToPath(new URL('../mount-server.js', import.meta.url));

/** What the serving process tells the one that started it: the mount is ready, or why not. */
type Ready = { ok: true; lines: string[]; warnings: string[]; notes: string[] } | { ok: false; code: ErrorCode; message: string; hints: string[] };

export function mountCommand(): Command {
  return action<MountFlags>(
    new Command('mount')
      .summary('show an image as read-only files for any analysis tool (media, each partition); --browse also mounts the file systems inside')
      .description(
        'Shows <dir>/media, the whole media of the image, byte for byte; <dir>/p1, <dir>/p2, ...: each partition of its MBR (logical ' +
          'partitions included) or GPT, numbered as exhibit inspect lists them; and <dir>/info.txt: the image\'s facts, its partitions, ' +
          'and the hashes its record and the image itself give. Any image exhibit reads (raw, split raw, E01 from exhibit or other tools, ' +
          'seekable zstd) can be mounted. Nothing can be written: the image files are opened read-only and the mount refuses every write ' +
          '(read-only file system). Returns once the mount is ready and goes on serving in the background; exhibit umount <dir> ends it. ' +
          'With --browse, each file system found (ext2/3/4, XFS, NTFS with ntfs-3g, FAT, exFAT, ISO 9660) is mounted read-only under ' +
          '<dir>/fs/p1, ... through a read-only loop device, with the options that write nothing (ext: ro,noload; XFS: ro,norecovery); ' +
          'one that cannot be mounted is named with the reason. Needs root.',
      )
      .argument('<image>', 'the image (its first file: .raw, .001, .E01, .zst)')
      .argument('<dir>', 'an empty folder to show it in')
      .option('--browse', 'also mount each file system inside, read-only, under <dir>/fs/')
      .option('--raw', RAW_OPTION_HELP)
      .option('--foreground', 'stay attached and serve until Ctrl-C (which unmounts) or exhibit umount')
      .option('--cache <size>', 'decoded media (E01 chunks, zstd frames) kept in memory at most, 16 MiB to 64 GiB', '256MiB')
      .addOption(new Option('--ready-fd <fd>').hideHelp())
      .addHelpText('after', '\nExamples:\n  exhibit mount /cases/2026-0117/EV-001.E01 /mnt/ev1\n  mmls /mnt/ev1/media\n  exhibit mount --browse EV-001.zst /mnt/ev1 && ls /mnt/ev1/fs/p1\n  exhibit umount /mnt/ev1'),
    async ([image, dir], f) => {
      const req: MountRequest = { image: image!, ...(f.raw ? { raw: true } : {}), dir: dir!, browse: f.browse === true, cacheBytes: sizeOption(f.cache, '--cache', 16 * MiB, 64 * 1024 * MiB) };
      if (f.foreground) return serve(req, f.readyFd === undefined ? undefined : Number(f.readyFd));
      checkMountPoint(req.dir); // refused at once, before a process is started
      const ready = await startServer(req);
      if (!ready.ok) throw new ExhibitError(ready.code, ready.message, { hints: ready.hints });
      for (const w of ready.warnings) info(`warning: ${w}`);
      for (const n of ready.notes) info(`note: ${n}`);
      io().stdout.write(shownLines([...ready.lines, `exhibit umount ${shellWord(req.dir)} ends the mount`]));
      return 0;
    },
  );
}

export function umountCommand(): Command {
  return action(
    new Command('umount')
      .summary('end a mount made by exhibit mount: its file systems, loop devices and the mount, in that order')
      .description(
        'Unmounts the file systems exhibit mount --browse mounted under <dir>/fs/, detaches their loop devices, then unmounts <dir> ' +
          'and waits for the serving process to close the image. Also cleans a mount whose serving process was killed.',
      )
      .argument('<dir>', 'the folder the image was mounted on')
      .addHelpText('after', '\nExample:\n  exhibit umount /mnt/ev1'),
    async ([dir]) => {
      if (process.getuid?.() !== 0) throw new ExhibitError('MOUNT', 'exhibit umount needs root');
      const done = await releaseMount(dir!);
      const gone = await waitForServer(dir!);
      io().stdout.write(shownLines([...done.fileSystems.map((m) => `unmounted ${m}`), ...done.loops.map((l) => `detached ${l}`), `unmounted ${dir}`]));
      if (!gone) info('warning: the serving process has not ended yet; it will once the kernel lets go of the mount');
    },
  );
}

/** Serve in this process until unmounted; tell `readyFd` (the starting process) how it went, or print it. */
export async function serve(req: MountRequest, readyFd: number | undefined): Promise<number> {
  const tell = (r: Ready): void => {
    if (readyFd === undefined) return;
    fs.writeSync(readyFd, `${JSON.stringify(r)}\n`);
    fs.closeSync(readyFd);
  };
  const stop = interruptSignal(() => {
    if (exhibitMountAt(req.dir)) void releaseMount(req.dir).catch((err: unknown) => info(`error: ${(err as Error).message}`));
  });
  try {
    let serving;
    try {
      serving = await mountImage(req, (node, offset, size, err) => {
        if (readyFd === undefined) info(`warning: ${node.name} bytes ${offset}..${offset + size - 1} could not be read: ${(err as Error).message}`);
      });
    } catch (err) {
      const e = err instanceof ExhibitError ? err : new ExhibitError('MOUNT', describeSystemError(err), { cause: err });
      tell({ ok: false, code: e.code, message: e.message, hints: [...e.hints] });
      if (readyFd !== undefined) return 1; // the starting process reports it
      throw e;
    }
    tell({ ok: true, lines: serving.lines, warnings: serving.warnings, notes: serving.notes });
    if (readyFd === undefined) {
      for (const w of serving.warnings) info(`warning: ${w}`);
      for (const n of serving.notes) info(`note: ${n}`);
      io().stdout.write(shownLines([...serving.lines, `serving until Ctrl-C or exhibit umount ${shellWord(req.dir)}`]));
    }
    await serving.ended;
    if (readyFd === undefined) io().stdout.write(shownLines([`unmounted ${req.dir}`]));
    return 0;
  } finally {
    stop.dispose();
  }
}

/** The serving process's arguments: those of `exhibit mount --foreground`, so `ps` shows what it serves. */
export function serverArgs(req: MountRequest): string[] {
  return ['mount', '--foreground', '--ready-fd', '3', '--cache', String(req.cacheBytes), ...(req.browse ? ['--browse'] : []), ...(req.raw ? ['--raw'] : []), '--', req.image, req.dir];
}

/** The request back from `serverArgs`. */
export function requestOf(args: readonly string[]): MountRequest {
  const sep = args.indexOf('--');
  const at = args.indexOf('--cache');
  if (sep < 0 || at < 0 || args.length !== sep + 3) throw new ExhibitError('INTERNAL', `the serving process was started with unexpected arguments: ${args.join(' ')}`);
  const flags = args.slice(0, sep);
  return { image: args[sep + 1]!, ...(flags.includes('--raw') ? { raw: true } : {}), dir: args[sep + 2]!, browse: flags.includes('--browse'), cacheBytes: Number(args[at + 1]) };
}

/**
 * Start the serving process (cli/mount-server.ts: `exhibit mount --foreground` without the other
 * commands loaded) as a process of its own and wait for its word that the mount is ready.
 */
function startServer(req: MountRequest): Promise<Ready> {
  const args = [SERVER, ...serverArgs(req)]; // the same working folder: the names stay as typed
  const child = spawn(process.execPath, args, { detached: true, cwd: process.cwd(), stdio: ['ignore', 'ignore', 'ignore', 'pipe'], env: { ...io().env, UV_THREADPOOL_SIZE: '8' } });
  return new Promise((resolve) => {
    let text = '';
    const pipe = child.stdio[3] as NodeJS.ReadableStream;
    pipe.on('data', (d: Buffer) => (text += d.toString()));
    const fail = (why: string): Ready => ({ ok: false, code: 'MOUNT', message: `the mount could not be started: ${why}`, hints: [] });
    child.once('error', (err) => resolve(fail(describeSystemError(err))));
    pipe.once('end', () => {
      const line = text.split('\n')[0] ?? '';
      child.unref();
      if (line) {
        try {
          return resolve(JSON.parse(line) as Ready);
        } catch {
          /* fall through */
        }
      }
      child.once('exit', (code, signal) => resolve(fail(`the serving process ended (${signal ?? `exit ${code}`}) before the mount was ready`)));
      if (child.exitCode !== null || child.signalCode !== null) resolve(fail(`the serving process ended (${child.signalCode ?? `exit ${child.exitCode}`}) before the mount was ready`));
    });
  });
}
