/**
 * CSV (RFC 4180) for exports that spreadsheets open. A cell is quoted when it holds a
 * comma, a quote or a line break (quotes doubled); a cell that a spreadsheet would read as a
 * formula (starting with = + - @, or a tab or carriage return before one) is prefixed with
 * `'` first, so that a merchant_reference or product name a payer chose never runs as one
 * (OWASP's CSV injection advice).
 */
export function csvCell(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One record, its cells escaped, ended with CRLF. */
export function csvLine(values: readonly string[]): string {
  return values.map(csvCell).join(',') + '\r\n';
}
