/** A moment as the record keeps it: UTC, and the local wall-clock time with its offset. */
export interface Timestamp {
  utc: string; // 2026-11-22T09:14:03.120Z
  local: string; // 2026-11-22T10:14:03.120+01:00
}

export function timestamp(date: Date = new Date()): Timestamp {
  return { utc: date.toISOString(), local: localIso(date) };
}

/** ISO 8601 local time with numeric offset, e.g. 2026-11-22T10:14:03.120+01:00. */
export function localIso(date: Date): string {
  const offsetMin = -date.getTimezoneOffset();
  const sign = offsetMin >= 0 ? '+' : '-';
  const abs = Math.abs(offsetMin);
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return (
    `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}` +
    `T${pad(date.getHours())}:${pad(date.getMinutes())}:${pad(date.getSeconds())}.${pad(date.getMilliseconds(), 3)}` +
    `${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`
  );
}

/**
 * An ISO 8601 time with a zone (2026-11-20T08:00:00Z, 2026-11-20T09:00+01:00), or undefined when it is
 * not one or names a moment that does not exist: Date.parse reads 2026-02-30 as March 2, and a
 * revocation's effective time is signed into custody logs for good.
 */
export function parseZonedTime(text: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|([+-])(\d{2}):(\d{2}))$/.exec(text.trim());
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4], m[5], m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate(); // the month's last day
  if (month < 1 || month > 12 || day < 1 || day > days || hour > 23 || minute > 59 || second > 59) return undefined;
  let offset = 0;
  if (m[8] !== 'Z') {
    const [h, min] = [Number(m[10]), Number(m[11])];
    if (h > 14 || min > 59) return undefined;
    offset = (m[9] === '-' ? -1 : 1) * (h * 60 + min);
  }
  if (year < 100) return undefined; // Date.UTC would read 0099 as 1999
  const ms = Math.floor(Number(`0.${m[7] ?? '0'}`) * 1000);
  return new Date(Date.UTC(year, month - 1, day, hour, minute, second, ms) - offset * 60_000);
}
