import { csvLine } from '../../domain/csv.js';
import { formatAmount } from '../../domain/money.js';
import { formatWireTime } from '../../domain/time.js';
import type { TransactionFilter } from '../../domain/transaction-filter.js';
import { readAllTransactions, type TransactionRow } from '../../store/transaction-list.js';
import type { GatewayContext } from '../context.js';
import { TRANSACTION_SCAN_WINDOW } from './list-transactions.js';

/** The export's columns, in order (docs/portal.md#csv-export). Times are wire times; amounts 2-decimal strings. */
export const TRANSACTION_CSV_COLUMNS = [
  'order_id',
  'merchant_reference',
  'created_at',
  'status',
  'payment_method',
  'amount',
  'currency',
  'wallet_id',
  'user_id',
  'product_name',
  'paid_at',
] as const;

/** Rows read per statement: enough that a million rows are a thousand statements, few enough to hold in memory at once. */
const EXPORT_BATCH = 1_000;

/**
 * Every order of the organisation matching `filter`, as CSV text: the header, then a chunk
 * per batch of rows, newest first, read a keyset range at a time (readAllTransactions: no
 * open transaction). A consumer that stops pulling stops the reading: wrapped in a Readable
 * (Readable.from), the next batch is read only when the client has taken the last one, and
 * a client that hangs up ends it. The filter's cursor, if any, is where it starts.
 */
export async function* exportTransactionsCsv(ctx: GatewayContext, organisationId: number, filter: TransactionFilter): AsyncGenerator<string> {
  yield csvLine(TRANSACTION_CSV_COLUMNS);
  const offset = ctx.config.timeZoneOffsetMinutes;
  for await (const rows of readAllTransactions(ctx.store.db, { organisationId, ...filter }, EXPORT_BATCH, TRANSACTION_SCAN_WINDOW)) {
    yield rows.map((row) => csvLine(csvRecord(row, offset))).join('');
  }
}

function csvRecord(row: TransactionRow, offset: number): string[] {
  return [
    row.order_id,
    row.merchant_reference,
    formatWireTime(Number(row.created_at), offset),
    row.status,
    row.payment_method,
    formatAmount(Number(row.amount_minor)),
    row.currency,
    row.wallet_id,
    row.user_id,
    row.product_name,
    row.paid_at === null ? '' : formatWireTime(Number(row.paid_at), offset),
  ];
}
