/** Wire times (spec §1): `YYYY-MM-DD HH:mm:ss` in a fixed offset, UTC+08:00 by default. */
export function formatWireTime(epochMs: number, offsetMinutes: number): string {
  const d = new Date(epochMs + offsetMinutes * 60_000);
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`
  );
}

/** Parses `+08:00`, `-05:30` or `UTC` into minutes east of UTC; undefined when malformed. */
export function parseUtcOffset(text: string): number | undefined {
  if (text === 'UTC' || text === 'Z') return 0;
  const m = /^([+-])(\d{2}):?(\d{2})$/.exec(text);
  if (!m || Number(m[3]) > 59) return undefined;
  const minutes = Number(m[2]) * 60 + Number(m[3]);
  if (minutes > 14 * 60) return undefined;
  return m[1] === '-' ? -minutes : minutes;
}

/**
 * Parses a wire time, `YYYY-MM-DD HH:mm:ss` or `YYYY-MM-DD` (midnight), read in the wire's
 * offset, into epoch ms; undefined when malformed or not a real date (`2026-02-30`).
 */
export function parseWireTime(text: string, offsetMinutes: number): { ms: number; dateOnly: boolean } | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2}))?$/.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number);
  if (hour > 23 || minute > 59 || second > 59) return undefined;
  const local = Date.UTC(year, month - 1, day, hour, minute, second);
  const back = new Date(local);
  if (back.getUTCFullYear() !== year || back.getUTCMonth() !== month - 1 || back.getUTCDate() !== day) return undefined;
  return { ms: local - offsetMinutes * 60_000, dateOnly: m[4] === undefined };
}
