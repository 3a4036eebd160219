/**
 * A path or name as one word a POSIX shell reads back unchanged: as it is when it holds only
 * characters no shell treats specially, else in single quotes (a quote inside written '\''). For
 * the commands exhibit prints for the user to run (hints, "exhibit umount <dir> ends the mount").
 */
export function shellWord(s: string): string {
  if (s.length > 0 && /^[A-Za-z0-9_@%+=:,./-]+$/.test(s) && !s.startsWith('-')) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}
