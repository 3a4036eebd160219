/**
 * The Linux FUSE kernel protocol, the part a read-only file system needs
 * (<linux/fuse.h>, protocol 7.31): the opcodes, the request header, and the
 * replies as bytes. Every structure is little-endian on the machines exhibit
 * runs on and laid out as the kernel header declares it.
 */

export const OP = {
  LOOKUP: 1,
  FORGET: 2,
  GETATTR: 3,
  OPEN: 14,
  READ: 15,
  STATFS: 17,
  RELEASE: 18,
  FLUSH: 25,
  INIT: 26,
  OPENDIR: 27,
  READDIR: 28,
  RELEASEDIR: 29,
  ACCESS: 34,
  INTERRUPT: 36,
  DESTROY: 38,
  BATCH_FORGET: 42,
} as const;

/**
 * Requests that would change something (SETATTR, SYMLINK, MKNOD, MKDIR, UNLINK, RMDIR, RENAME, LINK, WRITE,
 * SETXATTR, REMOVEXATTR, CREATE, FALLOCATE, RENAME2, COPY_FILE_RANGE): the kernel sends them only if the mount
 * was made writable behind exhibit's back (mount -o remount,rw); each is answered "read-only file system".
 */
export const CHANGING_OPS: ReadonlySet<number> = new Set([4, 6, 8, 9, 10, 11, 12, 13, 16, 21, 24, 35, 43, 45, 47]);

/** Requests the kernel expects no reply to. */
export const NO_REPLY: ReadonlySet<number> = new Set([OP.FORGET, OP.BATCH_FORGET, OP.INTERRUPT]);

export const ERRNO = { ENOENT: 2, EIO: 5, EACCES: 13, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, EROFS: 30, ENOSYS: 38 } as const;

export const KERNEL_MAJOR = 7;
export const OUR_MINOR = 31;
/** INIT flags exhibit asks for (each only if the kernel offers it). */
export const INIT_FLAGS = {
  ASYNC_READ: 1 << 0,
  PARALLEL_DIROPS: 1 << 18,
  MAX_PAGES: 1 << 22,
} as const;
/** Open reply flag: the page cache may be kept across opens (the content never changes). */
export const FOPEN_KEEP_CACHE = 1 << 1;
/** Open reply flag: no page cache (for info.txt, whose content is completed after the mount). */
export const FOPEN_DIRECT_IO = 1 << 0;

export const IN_HEADER = 40;
const OUT_HEADER = 16;
export const ATTR_BYTES = 88;

export interface Request {
  opcode: number;
  unique: bigint;
  nodeid: number;
  /** The bytes after the header. */
  body: Buffer;
}

export function parseRequest(buf: Buffer, length: number): Request {
  const len = buf.readUInt32LE(0);
  if (len !== length || len < IN_HEADER) throw new Error(`a FUSE request of ${length} bytes says it has ${len}`);
  return { opcode: buf.readUInt32LE(4), unique: buf.readBigUInt64LE(8), nodeid: Number(buf.readBigUInt64LE(16)), body: Buffer.from(buf.subarray(IN_HEADER, len)) };
}

/** The reply header for `unique`: `error` is a positive errno or 0. */
export function replyHeader(unique: bigint, error: number, payload: number): Buffer {
  const b = Buffer.alloc(OUT_HEADER);
  b.writeUInt32LE(OUT_HEADER + payload, 0);
  b.writeInt32LE(-error, 4);
  b.writeBigUInt64LE(unique, 8);
  return b;
}

/** What a node looks like to stat(2). */
export interface Attr {
  ino: number;
  size: number;
  mode: number; // type and permission bits
  nlink: number;
  uid: number;
  gid: number;
  mtime: number; // seconds
}

export function writeAttr(b: Buffer, at: number, a: Attr): void {
  b.writeBigUInt64LE(BigInt(a.ino), at);
  b.writeBigUInt64LE(BigInt(a.size), at + 8);
  b.writeBigUInt64LE(BigInt(Math.ceil(a.size / 512)), at + 16);
  for (const k of [24, 32, 40]) b.writeBigUInt64LE(BigInt(a.mtime), at + k);
  // atimensec, mtimensec, ctimensec at 48..59 stay 0
  b.writeUInt32LE(a.mode, at + 60);
  b.writeUInt32LE(a.nlink, at + 64);
  b.writeUInt32LE(a.uid, at + 68);
  b.writeUInt32LE(a.gid, at + 72);
  b.writeUInt32LE(0, at + 76); // rdev
  b.writeUInt32LE(4096, at + 80); // blksize
  b.writeUInt32LE(0, at + 84); // flags
}

/** fuse_attr_out: how long the kernel may keep it, then the attributes. */
export function attrOut(a: Attr, validSeconds: number): Buffer {
  const b = Buffer.alloc(16 + ATTR_BYTES);
  b.writeBigUInt64LE(BigInt(validSeconds), 0);
  writeAttr(b, 16, a);
  return b;
}

/** fuse_entry_out for LOOKUP. */
export function entryOut(a: Attr, validSeconds: number): Buffer {
  const b = Buffer.alloc(40 + ATTR_BYTES);
  b.writeBigUInt64LE(BigInt(a.ino), 0); // nodeid
  b.writeBigUInt64LE(0n, 8); // generation
  b.writeBigUInt64LE(BigInt(validSeconds), 16); // entry_valid
  b.writeBigUInt64LE(BigInt(validSeconds), 24); // attr_valid
  writeAttr(b, 40, a);
  return b;
}

/** fuse_open_out. */
export function openOut(fh: number, flags: number): Buffer {
  const b = Buffer.alloc(16);
  b.writeBigUInt64LE(BigInt(fh), 0);
  b.writeUInt32LE(flags, 8);
  return b;
}

/** fuse_read_in: the offset and size asked for. */
export function readIn(body: Buffer): { fh: number; offset: number; size: number } {
  return { fh: Number(body.readBigUInt64LE(0)), offset: Number(body.readBigUInt64LE(8)), size: body.readUInt32LE(16) };
}

/** fuse_open_in: the open(2) flags. */
export function openFlags(body: Buffer): number {
  return body.readUInt32LE(0);
}

/** The kernel's INIT: its version, its read-ahead and the flags it offers. */
export function initIn(body: Buffer): { major: number; minor: number; maxReadahead: number; flags: number } {
  return { major: body.readUInt32LE(0), minor: body.readUInt32LE(4), maxReadahead: body.readUInt32LE(8), flags: body.readUInt32LE(12) };
}

/** fuse_init_out (64 bytes). */
export function initOut(o: { minor: number; maxReadahead: number; flags: number; maxPages: number }): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32LE(KERNEL_MAJOR, 0);
  b.writeUInt32LE(o.minor, 4);
  b.writeUInt32LE(o.maxReadahead, 8);
  b.writeUInt32LE(o.flags, 12);
  b.writeUInt16LE(16, 16); // max_background
  b.writeUInt16LE(12, 18); // congestion_threshold
  b.writeUInt32LE(4096, 20); // max_write: nothing is ever written
  b.writeUInt32LE(1, 24); // time_gran (ns)
  b.writeUInt16LE(o.maxPages, 28);
  return b;
}

/** One fuse_dirent: inode, offset of the next entry, name length, type (DT_*), the name padded to 8 bytes. */
export function dirent(ino: number, next: number, name: string, dir: boolean): Buffer {
  const n = Buffer.from(name, 'utf8');
  const b = Buffer.alloc(24 + Math.ceil(n.length / 8) * 8);
  b.writeBigUInt64LE(BigInt(ino), 0);
  b.writeBigUInt64LE(BigInt(next), 8);
  b.writeUInt32LE(n.length, 16);
  b.writeUInt32LE(dir ? 4 : 8, 20); // DT_DIR, DT_REG
  n.copy(b, 24);
  return b;
}

/** fuse_statfs_out (fuse_kstatfs). */
export function statfsOut(totalBytes: number, files: number): Buffer {
  const b = Buffer.alloc(80);
  b.writeBigUInt64LE(BigInt(Math.ceil(totalBytes / 4096)), 0); // blocks
  b.writeBigUInt64LE(BigInt(files), 24); // files; bfree, bavail and ffree stay 0
  b.writeUInt32LE(4096, 40); // bsize
  b.writeUInt32LE(255, 44); // namelen
  b.writeUInt32LE(4096, 48); // frsize
  return b;
}

/** The NUL-terminated name a LOOKUP carries. */
export function lookupName(body: Buffer): string {
  const end = body.indexOf(0);
  return body.subarray(0, end < 0 ? body.length : end).toString('utf8');
}
