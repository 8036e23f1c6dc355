import { parseAmount } from './money.js';
import { ORDER_STATUSES, type OrderStatus } from './order-status.js';
import { PAYMENT_METHODS, type PaymentMethod } from './payment-methods.js';
import { parseWireTime } from './time.js';

/**
 * The portal's transaction filter (docs/portal.md#transactions): what the list's query
 * string (and the CSV export's, the same) says, checked. Pure; dates are days in the wire's
 * time zone, amounts decimal strings in the wallet's currency, read by the money module.
 */

/** A place in an organisation's list, newest first: pages start just older than it. */
export interface TransactionKey {
  readonly createdAt: number;
  readonly orderId: string;
}

export interface TransactionFilter {
  readonly status?: OrderStatus;
  readonly method?: PaymentMethod;
  readonly walletId?: string;
  /** Created at or after (epoch ms): the start of the `from` day. */
  readonly createdFrom?: number;
  /** Created before (epoch ms): the end of the `to` day. */
  readonly createdBefore?: number;
  readonly minMinor?: number;
  readonly maxMinor?: number;
  /** An order_id or merchant_reference, exactly. */
  readonly search?: string;
  /** Where the page starts (from `cursor`). */
  readonly after?: TransactionKey;
}

/** Which of the filter's fields could not be read (each named in the page's message). */
export type FilterProblem = 'status' | 'method' | 'wallet' | 'from' | 'to' | 'dates' | 'min' | 'max' | 'amounts' | 'q' | 'cursor';

/** The query string's fields, in the order links and the form write them. */
export const FILTER_FIELDS = ['status', 'method', 'wallet', 'from', 'to', 'min', 'max', 'q'] as const;
export type FilterField = (typeof FILTER_FIELDS)[number];

const DAY_MS = 86_400_000;
const MAX_SEARCH = 255;
const WALLET_ID = /^W[0-9A-Za-z]{1,40}$/;

export interface ParsedFilter {
  readonly filter: TransactionFilter;
  readonly problems: readonly FilterProblem[];
  /** The fields as given (trimmed; empty ones dropped): what the form shows and links repeat. */
  readonly values: Readonly<Partial<Record<FilterField, string>>>;
}

/**
 * Reads the list's query string. A field that cannot be read is named in `problems` and
 * left out of the filter (the page says so rather than answering a list it was not asked for).
 */
export function parseTransactionFilter(query: Readonly<Record<string, unknown>>, offsetMinutes: number): ParsedFilter {
  const problems: FilterProblem[] = [];
  const values: Partial<Record<FilterField, string>> = {};
  const text = (name: string): string | undefined => {
    const v = query[name];
    const s = Array.isArray(v) ? v[0] : v;
    if (typeof s !== 'string') return undefined;
    const trimmed = s.trim();
    return trimmed === '' ? undefined : trimmed;
  };
  for (const field of FILTER_FIELDS) {
    const v = text(field);
    if (v !== undefined) values[field] = v;
  }
  const filter: { -readonly [K in keyof TransactionFilter]: TransactionFilter[K] } = {};

  if (values.status !== undefined) {
    if ((ORDER_STATUSES as readonly string[]).includes(values.status)) filter.status = values.status as OrderStatus;
    else problems.push('status');
  }
  if (values.method !== undefined) {
    if ((PAYMENT_METHODS as readonly string[]).includes(values.method)) filter.method = values.method as PaymentMethod;
    else problems.push('method');
  }
  if (values.wallet !== undefined) {
    if (WALLET_ID.test(values.wallet)) filter.walletId = values.wallet;
    else problems.push('wallet');
  }
  const from = values.from === undefined ? undefined : dayStart(values.from, offsetMinutes);
  const to = values.to === undefined ? undefined : dayStart(values.to, offsetMinutes);
  if (values.from !== undefined && from === undefined) problems.push('from');
  if (values.to !== undefined && to === undefined) problems.push('to');
  if (from !== undefined && to !== undefined && from > to) problems.push('dates');
  else {
    if (from !== undefined) filter.createdFrom = from;
    if (to !== undefined) filter.createdBefore = to + DAY_MS;
  }
  const min = values.min === undefined ? undefined : readAmount(values.min);
  const max = values.max === undefined ? undefined : readAmount(values.max);
  if (values.min !== undefined && min === undefined) problems.push('min');
  if (values.max !== undefined && max === undefined) problems.push('max');
  if (min !== undefined && max !== undefined && min > max) problems.push('amounts');
  else {
    if (min !== undefined && min > 0) filter.minMinor = min;
    if (max !== undefined) filter.maxMinor = max;
  }
  if (values.q !== undefined) {
    if (values.q.length <= MAX_SEARCH && !/[\u0000-\u001f]/.test(values.q)) filter.search = values.q;
    else problems.push('q');
  }
  const cursor = text('cursor');
  if (cursor !== undefined) {
    const key = decodeCursor(cursor);
    if (key) filter.after = key;
    else problems.push('cursor');
  }
  return { filter, problems, values };
}

/** The start of a `YYYY-MM-DD` day in the wire's offset, or undefined when it is no real date. */
function dayStart(text: string, offsetMinutes: number): number | undefined {
  const parsed = /^\d{4}-\d{2}-\d{2}$/.test(text) ? parseWireTime(text, offsetMinutes) : undefined;
  return parsed?.ms;
}

/** Minor units of a decimal amount; zero is allowed here (a lower bound of nothing). */
function readAmount(text: string): number | undefined {
  if (/^0+(\.0*)?$/.test(text)) return 0;
  const parsed = parseAmount(text);
  return parsed.ok ? parsed.minor : undefined;
}

/** The cursor of a page starting just older than `key`: opaque to the browser, and URL-safe. */
export function encodeCursor(key: TransactionKey): string {
  return Buffer.from(`${key.createdAt}.${key.orderId}`, 'utf8').toString('base64url');
}

export function decodeCursor(text: string): TransactionKey | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(text)) return undefined;
  const decoded = Buffer.from(text, 'base64url').toString('utf8');
  const m = /^(\d{1,15})\.([0-9A-Za-z_-]{1,64})$/.exec(decoded);
  if (!m) return undefined;
  return { createdAt: Number(m[1]), orderId: m[2] as string };
}

/** The query string of the filter as given (no cursor), for the next page's link and the export's. */
export function filterQuery(values: Readonly<Partial<Record<FilterField, string>>>, extra: Readonly<Record<string, string>> = {}): string {
  const params = new URLSearchParams();
  for (const field of FILTER_FIELDS) {
    const v = values[field];
    if (v !== undefined) params.set(field, v);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params.toString();
}
