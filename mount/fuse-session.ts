/**
 * A read-only FUSE file system served by exhibit itself: /dev/fuse is opened
 * here and handed to mount(8) as `fd=3`, so the kernel talks to this process
 * directly (no libfuse, no native module). The mount is made `ro`, so the
 * kernel refuses every write with EROFS before a request is ever sent; the
 * requests that remain (look up, stat, open, read, list) are answered from
 * a fixed tree of nodes. Needs root: mounting a FUSE file system without
 * fusermount's help is a privileged mount(2).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { ExhibitError, describeSystemError, errnoOf } from '../core/errors.js';
import {
  CHANGING_OPS,
  ERRNO,
  FOPEN_DIRECT_IO,
  FOPEN_KEEP_CACHE,
  INIT_FLAGS,
  NO_REPLY,
  OP,
  OUR_MINOR,
  attrOut,
  dirent,
  entryOut,
  initIn,
  initOut,
  lookupName,
  openFlags,
  openOut,
  parseRequest,
  readIn,
  replyHeader,
  statfsOut,
  type Attr,
  type Request,
} from './fuse-protocol.js';
import type { Pieces, Tree, TreeNode } from './tree.js';
import { readMounts } from '../source/mounts.js';
import { mountPath } from './mount-path.js';

/** The file system type mountinfo shows for exhibit's mounts. */
export const FS_TYPE = 'fuse.exhibit';
/** Largest read the kernel may send (256 pages). */
const MAX_PAGES = 256;
const READERS = 2;
const BUFFER = 64 * 1024; // requests are small: nothing is ever written through this file system
/** Replies up to this size are written at once; larger ones on libuv's pool. */
const SMALL_REPLY = 128 * 1024;
const VALID = 3600; // seconds the kernel may keep names and attributes (the tree never changes)

/** Thrown by a node's read: the reply is EIO and the reason is passed to `onReadError`. */
export type ReadErrorSink = (node: TreeNode, offset: number, size: number, err: unknown) => void;

export class FuseSession {
  private fd = -1;
  /** Replies being written on libuv's pool. */
  private writing = 0;
  private mounted = false;
  private ended = false;
  private endResolve!: () => void;
  private initialised!: () => void;
  /** Settles when the kernel's INIT has been answered. */
  private readonly init$ = new Promise<void>((r) => (this.initialised = r));
  /** Settles when the kernel has closed the connection (the file system was unmounted) or serving failed. */
  readonly ended$ = new Promise<void>((r) => (this.endResolve = r));

  constructor(
    private readonly tree: Tree,
    private readonly owner: { uid: number; gid: number; mtime: number },
    private readonly onReadError: ReadErrorSink,
  ) {}

  /** Mount on `dir` (an empty folder) and start serving; resolves once mount(8) succeeded. */
  async mount(dir: string, source: string): Promise<void> {
    try {
      this.fd = fs.openSync('/dev/fuse', fs.constants.O_RDWR);
    } catch (err) {
      throw new ExhibitError('MOUNT', `cannot open /dev/fuse: ${describeSystemError(err)}`, {
        hints: errnoOf(err) === 'ENOENT' ? ['this kernel has no FUSE device (modprobe fuse)'] : errnoOf(err) === 'EACCES' ? ['exhibit mount needs root'] : [],
      });
    }
    const options = ['ro', 'nosuid', 'nodev', 'noexec', 'fd=3', 'rootmode=40000', `user_id=${this.owner.uid}`, `group_id=${this.owner.gid}`, 'default_permissions', 'allow_other'];
    // -i: no mount.fuse helper; the options go to the kernel as they are.
    // Absolute paths only: a folder named "-w" would be read by mount(8) as an option.
    const child = spawn('mount', ['-i', '-t', FS_TYPE, '-o', options.join(','), source, mountPath(dir)], { stdio: ['ignore', 'ignore', 'pipe', this.fd] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const done = new Promise<number>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => resolve(code ?? 1));
    });
    for (let i = 0; i < READERS; i++) this.loop(); // the kernel's first request (INIT) may come before mount(8) returns
    let code: number;
    try {
      code = await done;
    } catch (err) {
      this.end();
      throw new ExhibitError('MOUNT', `cannot run mount: ${describeSystemError(err)}`, { hints: ['install util-linux'] });
    }
    if (code !== 0) {
      this.end();
      throw new ExhibitError('MOUNT', `mounting on ${dir} failed: ${stderr.trim().split('\n').pop() ?? `mount exit ${code}`}`);
    }
    this.mounted = true;
    await Promise.race([this.init$, this.ended$]);
    // After INIT, which sets the read-ahead to the smaller of the kernel's default and what exhibit answered.
    setImmediate(() => readAheadFor(dir));
  }

  private end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.writing === 0) this.closeFd(); // else when the last reply being written is done: the number stays ours till then
    this.endResolve();
  }

  private closeFd(): void {
    if (this.fd >= 0) fs.closeSync(this.fd);
    this.fd = -1;
  }

  /**
   * One reader of /dev/fuse (each read returns one request); `READERS` of them, so a request that
   * arrives while another is being passed to this thread is taken at once. Requests are answered as
   * their data arrives, in any order.
   */
  private loop(): void {
    const buf = Buffer.allocUnsafe(BUFFER);
    const next = (): void => {
      if (this.ended) return;
      fs.read(this.fd, buf, 0, BUFFER, null, (err, n) => {
        if (err) {
          const code = errnoOf(err);
          if (code === 'ENODEV') return this.end(); // unmounted
          if (code === 'EINTR' || code === 'EAGAIN' || code === 'ENOENT') return next();
          if (code === 'EPERM' && !this.mounted) return void setTimeout(next, 2); // not connected yet: mount(8) is still running
          return this.end();
        }
        let req: Request;
        try {
          req = parseRequest(buf, n);
        } catch {
          return next();
        }
        next();
        void this.handle(req);
      });
    };
    next();
  }

  /**
   * Answer a READ with file bytes in pieces: a large one with one writev on libuv's pool, so the
   * copy into the kernel runs beside the decoding of what comes next; a small one (a random read)
   * at once, as a hop to another thread would cost it more than the copy. `done` once it is written.
   */
  private replyPieces(unique: bigint, { pieces, done }: Pieces): void {
    if (this.ended) return done();
    const parts = pieces.filter((p) => p.length > 0);
    const bytes = parts.reduce((n, p) => n + p.length, 0);
    if (bytes <= SMALL_REPLY) {
      try {
        return this.reply(unique, 0, parts.length === 1 ? parts[0] : Buffer.concat(parts));
      } finally {
        done();
      }
    }
    const head = replyHeader(unique, 0, bytes);
    this.writing++;
    fs.writev(this.fd, [head, ...parts], () => {
      // An error needs no answer (see `reply`).
      this.writing--;
      done();
      if (this.ended && this.writing === 0) this.closeFd();
    });
  }

  private reply(unique: bigint, error: number, payload?: Buffer): void {
    if (this.ended) return;
    const head = replyHeader(unique, error, payload?.length ?? 0);
    try {
      fs.writevSync(this.fd, payload && payload.length > 0 ? [head, payload] : [head]);
    } catch {
      // ENOENT: the request was interrupted and is gone; ENODEV: unmounted. Neither needs an answer.
    }
  }

  private attr(n: TreeNode): Attr {
    const dir = n.children !== undefined;
    return { ino: n.ino, size: dir ? 0 : n.size, mode: dir ? 0o040000 | this.tree.dirMode : 0o100000 | this.tree.fileMode, nlink: dir ? 2 : 1, uid: this.owner.uid, gid: this.owner.gid, mtime: this.owner.mtime };
  }

  private async handle(req: Request): Promise<void> {
    if (NO_REPLY.has(req.opcode)) return;
    const node = this.tree.node(req.nodeid);
    const fail = (errno: number) => this.reply(req.unique, errno);
    switch (req.opcode) {
      case OP.INIT: {
        const k = initIn(req.body);
        if (k.major !== 7) return fail(ERRNO.EIO);
        const wanted = INIT_FLAGS.ASYNC_READ | INIT_FLAGS.PARALLEL_DIROPS | INIT_FLAGS.MAX_PAGES;
        this.initialised();
        return this.reply(req.unique, 0, initOut({ minor: Math.min(k.minor, OUR_MINOR), maxReadahead: MAX_PAGES * 4096 /* the kernel keeps the smaller of this and the mount's read-ahead */, flags: k.flags & wanted, maxPages: MAX_PAGES }));
      }
      case OP.DESTROY:
        this.reply(req.unique, 0);
        return this.end();
    }
    if (!node) return fail(ERRNO.ENOENT);
    if (node.ready) await node.ready;
    switch (req.opcode) {
      case OP.LOOKUP: {
        if (!node.children) return fail(ERRNO.ENOTDIR);
        const child = node.children.get(lookupName(req.body));
        if (child?.ready) await child.ready;
        return child ? this.reply(req.unique, 0, entryOut(this.attr(child), child.volatile ? 0 : VALID)) : fail(ERRNO.ENOENT);
      }
      case OP.GETATTR:
        return this.reply(req.unique, 0, attrOut(this.attr(node), node.volatile ? 0 : VALID));
      case OP.OPEN: {
        if (node.children) return fail(ERRNO.EISDIR);
        if ((openFlags(req.body) & 3) !== fs.constants.O_RDONLY) return fail(ERRNO.EROFS);
        return this.reply(req.unique, 0, openOut(0, node.volatile ? FOPEN_DIRECT_IO : FOPEN_KEEP_CACHE));
      }
      case OP.READ: {
        const { offset, size } = readIn(req.body);
        if (node.children || !node.read) return fail(ERRNO.EISDIR);
        const want = Math.max(0, Math.min(size, node.size - offset));
        if (want === 0) return this.reply(req.unique, 0);
        try {
          const got = await node.read(offset, want);
          return Buffer.isBuffer(got) ? this.reply(req.unique, 0, got) : this.replyPieces(req.unique, got);
        } catch (err) {
          this.onReadError(node, offset, want, err);
          return fail(ERRNO.EIO);
        }
      }
      case OP.OPENDIR:
        return node.children ? this.reply(req.unique, 0, openOut(0, 0)) : fail(ERRNO.ENOTDIR);
      case OP.READDIR:
        return node.children ? this.reply(req.unique, 0, this.listing(node, readIn(req.body))) : fail(ERRNO.ENOTDIR);
      case OP.STATFS:
        return this.reply(req.unique, 0, statfsOut(this.tree.totalBytes(), this.tree.count()));
      case OP.RELEASE:
      case OP.RELEASEDIR:
      case OP.FLUSH:
      case OP.ACCESS:
        return this.reply(req.unique, 0);
      default:
        return fail(CHANGING_OPS.has(req.opcode) ? ERRNO.EROFS : ERRNO.ENOSYS);
    }
  }

  /** The entries of `dir` from `offset` on ('.', '..', then its children), as many as fit in `size`. */
  private listing(dir: TreeNode, { offset, size }: { offset: number; size: number }): Buffer {
    const all: [number, string, boolean][] = [[dir.ino, '.', true], [dir.parent, '..', true], ...[...dir.children!.values()].map((c): [number, string, boolean] => [c.ino, c.name, c.children !== undefined])];
    const out: Buffer[] = [];
    let used = 0;
    for (let i = offset; i < all.length; i++) {
      const [ino, name, isDir] = all[i]!;
      const d = dirent(ino, i + 1, name, isDir);
      if (used + d.length > size) break;
      out.push(d);
      used += d.length;
    }
    return Buffer.concat(out);
  }
}

/**
 * The kernel reads ahead 128 KiB on a FUSE mount unless told otherwise; 1 MiB
 * (the largest read this file system takes) makes a sequential read a quarter
 * as many round trips. Best effort: the mount works the same without it.
 */
function readAheadFor(dir: string): void {
  try {
    const at = mountPath(dir);
    const m = readMounts().find((x) => x.mount_point === at && x.fs_type === FS_TYPE);
    if (m) fs.writeFileSync(`/sys/class/bdi/${m.dev}/read_ahead_kb`, String((MAX_PAGES * 4096) / 1024));
  } catch {
    /* the default read-ahead stays */
  }
}
