/**
 * Permissions of everything exhibit creates for a case: images, records, maps,
 * journals, lock files, custody copies, reports and the folders that hold
 * them. The owner reads and writes, the lab's group reads, others get nothing.
 * They are passed explicitly on every open and mkdir, so a permissive umask
 * cannot widen them (a stricter umask can only take bits away).
 */
export const EVIDENCE_FILE_MODE = 0o640;
export const EVIDENCE_DIR_MODE = 0o750;
