import { latipayError } from '../domain/errors.js';
import { parseWholeNumber } from '../domain/invoice.js';
import type { RequestParams } from '../domain/request-params.js';
import { parseWireTime } from '../domain/time.js';
import { listInvoiceViews } from '../store/invoices.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { invoiceDescriber, signInvoiceAnswer } from './invoice-answer.js';
import { findUsableWallet } from './wallets.js';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
const DAY_MS = 86_400_000;

/**
 * `GET /v2/invoices?user_id&start_time[&end_time][&wallet_id][&page][&page_size]&signature`
 * (spec §4.12): the user's invoices created from start_time up to end_time (now when not
 * given), of one wallet when wallet_id is given, newest first, a page at a time [ours:
 * `page` from 1, `page_size` 20 by default, at most 100]. Times are `YYYY-MM-DD HH:mm:ss`
 * or `YYYY-MM-DD` in the wire's time zone; a date alone as end_time includes that whole day.
 *
 * Each invoice is signed like `GET /v2/invoice` answers; the answer's own signature covers
 * `page`, `page_size`, `total` and `invoices`, the list written as its invoices' signatures
 * joined by commas [ours], so nothing can be left out, added or reordered unseen.
 */
export async function listInvoices(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin) {
  params.requireAll(['user_id', 'start_time', 'signature']);
  const { user, key } = await authenticateRequest(ctx, params, origin);
  const offset = ctx.config.timeZoneOffsetMinutes;
  const now = ctx.clock();

  const start = parseWireTime(params.required('start_time'), offset);
  if (!start) throw latipayError('BAD_PARAMETER', 'start_time must be YYYY-MM-DD HH:mm:ss or YYYY-MM-DD');
  const endText = params.text('end_time');
  const end = endText === undefined ? { ms: now + 1, dateOnly: false } : parseWireTime(endText, offset);
  if (!end) throw latipayError('BAD_PARAMETER', 'end_time must be YYYY-MM-DD HH:mm:ss or YYYY-MM-DD');
  // An end time is included: up to its second's end, or its day's.
  const to = end.dateOnly ? end.ms + DAY_MS : endText === undefined ? end.ms : end.ms + 1_000;
  if (to <= start.ms) throw latipayError('BAD_PARAMETER', 'end_time must be after start_time');

  const page = params.has('page') ? parseWholeNumber(params.raw('page'), 1, 1_000_000) : 1;
  if (page === undefined) throw latipayError('BAD_PARAMETER', 'page must be a whole number from 1');
  const pageSize = params.has('page_size') ? parseWholeNumber(params.raw('page_size'), 1, MAX_PAGE_SIZE) : DEFAULT_PAGE_SIZE;
  if (pageSize === undefined) throw latipayError('BAD_PARAMETER', `page_size must be a whole number from 1 to ${MAX_PAGE_SIZE}`);

  const walletId = params.text('wallet_id');
  if (walletId !== undefined && !(await findUsableWallet(ctx, walletId, user.id))) {
    throw latipayError('WALLET_NOT_ASSIGNED', `wallet_id ${walletId} is not assigned to ${user.id}`);
  }

  const { rows, total } = await listInvoiceViews(ctx.store.db, {
    userId: user.id,
    ...(walletId !== undefined ? { walletId } : {}),
    from: start.ms,
    to,
    offset: (page - 1) * pageSize,
    limit: pageSize,
  });
  const describe = invoiceDescriber(ctx);
  const invoices = [];
  for (const row of rows) invoices.push(signInvoiceAnswer({ ...(await describe(row, now)) }, key));
  const { signature } = signInvoiceAnswer({ page, page_size: pageSize, total, invoices: invoices.map((i) => i.signature) }, key);
  return { page, page_size: pageSize, total, invoices, signature };
}
