/**
 * Invoices (payment links, spec §4.12): the rules, pure. An invoice is paid through one
 * backing order; its status is read from that order, so the two never disagree.
 */

/** Minutes a page stays valid when `period_time` is not given [ours]. */
export const DEFAULT_PERIOD_MINUTES = 1_440;
/** The longest `period_time` accepted: 30 days, the longest an order may wait (ORDER_TTL_SECONDS' bound). */
export const MAX_PERIOD_MINUTES = 43_200;
/** The largest `max_open_count` accepted. */
export const MAX_OPEN_COUNT = 1_000_000;

/** What the merchant's answers show (Latipay's docs: success, pending, paid, failed; ours adds canceled). */
export type InvoiceStatus = 'pending' | 'paid' | 'failed' | 'canceled';

export interface InvoiceState {
  /** The invoice's own status: `pending`, or `canceled` once deleted. */
  readonly status: string;
  readonly expiresAt: number;
  readonly openCount: number;
  readonly maxOpenCount: number | null;
}

/** The backing order's status, when a payer picked a method (undefined before). */
export type BackingStatus = string | undefined;

/**
 * The invoice's status. Deleted: canceled. With a backing order, that order's: paid, failed
 * (declined, expired, rejected), canceled (cancelled through POST /cancel), pending until its
 * expiry sweep has asked its provider (a payment made at the last second still counts).
 * Without one, pending until its period ends, then failed: nothing can pay it any more.
 */
export function invoiceStatus(invoice: InvoiceState, order: BackingStatus, now: number): InvoiceStatus {
  if (invoice.status === 'canceled') return 'canceled';
  switch (order) {
    case 'paid':
      return 'paid';
    case 'failed':
    case 'rejected':
      return 'failed';
    case 'canceled':
      return 'canceled';
    case 'pending':
      return 'pending';
    default:
      return invoice.expiresAt <= now ? 'failed' : 'pending';
  }
}

/** Why the page will not let a payer pay (undefined: it will). */
export type PageRefusal = 'paid' | 'canceled' | 'expired' | 'failed' | 'max_opens';

/**
 * Whether the invoice's page may be shown to pay: not once paid (the page then shows the
 * result), deleted, expired, or failed. `counting` is an open of the page: it is refused
 * too once `max_open_count` opens were counted; a payer's choice of method on a page already
 * open is not an open.
 */
export function pageRefusal(invoice: InvoiceState, order: BackingStatus, now: number, counting: boolean): PageRefusal | undefined {
  if (order === 'paid') return 'paid';
  if (invoice.status === 'canceled' || order === 'canceled') return 'canceled';
  if (order === 'failed' || order === 'rejected') return 'failed';
  if (invoice.expiresAt <= now) return 'expired';
  if (counting && invoice.maxOpenCount !== null && invoice.openCount >= invoice.maxOpenCount) return 'max_opens';
  return undefined;
}

/** A whole number given as a JSON number or a digit string, within [min, max]; undefined otherwise. */
export function parseWholeNumber(value: unknown, min: number, max: number): number | undefined {
  const text = typeof value === 'number' ? String(value) : typeof value === 'string' ? value : undefined;
  if (text === undefined || !/^\d{1,9}$/.test(text)) return undefined;
  const n = Number(text);
  return n >= min && n <= max ? n : undefined;
}

/** A boolean given as JSON true/false or the text a form carries (`true`, `false`, `1`, `0`); undefined otherwise. */
export function parseFlag(value: unknown): boolean | undefined {
  if (value === true || value === 'true' || value === '1' || value === 1) return true;
  if (value === false || value === 'false' || value === '0' || value === 0) return false;
  return undefined;
}
