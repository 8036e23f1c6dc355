import type { TransactionFilter } from '../../domain/transaction-filter.js';
import { readTransactionPage, type TransactionPage } from '../../store/transaction-list.js';
import type { GatewayContext } from '../context.js';

/** Orders a page of the portal's transaction list shows. */
export const TRANSACTION_PAGE_SIZE = 50;

/**
 * How many of an organisation's orders one page reads at most, whatever its filter: a page
 * of a filter few orders match shows what matched among them and offers to search older
 * (see readTransactionPage). ~10 ms at worst on either database (docs/portal.md#transactions).
 */
export const TRANSACTION_SCAN_WINDOW = 20_000;

/** A page of an organisation's transactions: its orders only, newest first. */
export function listTransactionPage(ctx: GatewayContext, organisationId: number, filter: TransactionFilter): Promise<TransactionPage> {
  return readTransactionPage(ctx.store.db, { organisationId, ...filter }, TRANSACTION_PAGE_SIZE, TRANSACTION_SCAN_WINDOW);
}
