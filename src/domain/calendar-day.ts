/**
 * Calendar days in the gateway's fixed offset (TIMEZONE_OFFSET, the one wire times use): a
 * day is a whole number, the days since 1970-01-01 in that offset, so that totals kept per
 * day can be summed and compared as plain integers.
 */
export const DAY_MS = 86_400_000;

/** The day `epochMs` falls on, `offsetMinutes` east of UTC. */
export function dayOf(epochMs: number, offsetMinutes: number): number {
  return Math.floor((epochMs + offsetMinutes * 60_000) / DAY_MS);
}

/** The instant (epoch ms) `day` starts, `offsetMinutes` east of UTC. */
export function startOfDay(day: number, offsetMinutes: number): number {
  return day * DAY_MS - offsetMinutes * 60_000;
}

/** `YYYY-MM-DD`. */
export function formatDay(day: number): string {
  return new Date(day * DAY_MS).toISOString().slice(0, 10);
}

/** Reads `YYYY-MM-DD` (a real date, 1970 to 9999); undefined otherwise. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [year, month, date] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(year, month - 1, date);
  const back = new Date(ms);
  if (year < 1970 || back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== date) return undefined;
  return ms / DAY_MS;
}

/** `UTC+08:00`, `UTC-05:30`, `UTC`: how a page names the offset its days are in. */
export function formatUtcOffset(offsetMinutes: number): string {
  if (offsetMinutes === 0) return 'UTC';
  const abs = Math.abs(offsetMinutes);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `UTC${offsetMinutes < 0 ? '-' : '+'}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}
