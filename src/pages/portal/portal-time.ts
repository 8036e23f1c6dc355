/** A time as the portal's tables show it: `YYYY-MM-DD HH:mm` in UTC (the column says so). */
export function formatPortalTime(epochMs: number): string {
  return new Date(epochMs).toISOString().slice(0, 16).replace('T', ' ');
}
