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
