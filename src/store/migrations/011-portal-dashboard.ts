import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * Totals per day for the portal's dashboard and balance pages, kept beside the tables they
 * sum so that a page reads a few hundred rows instead of a merchant's whole history
 * (order-day-totals.ts, ledger-day-totals.ts). Nothing on the create or settle path writes
 * them: the pages add what has become final since their last visit, and read the rest live.
 *
 * And the ledger's wallet index gains created_at, so a wallet's entries of a time range are
 * one index range: it replaces the wallet_id index (a wallet's lookups use its first
 * column), so a ledger entry still costs one index entry there.
 */
export function portalDashboardSchema(types: DialectParts['types']) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      /** How far each kind of day totals has been added up: `orders`, or `ledger:{wallet_id}`. */
      await db.schema
        .createTable('day_totals_progress')
        .addColumn('scope', 'text', (c) => c.primaryKey())
        /** Epoch ms: everything before it is in the totals (orders by expires_at, ledger entries by created_at). */
        .addColumn('boundary', types.bigint, (c) => c.notNull())
        /** The TIMEZONE_OFFSET (minutes east of UTC) the days were cut in; another one starts the totals over. */
        .addColumn('offset_minutes', 'integer', (c) => c.notNull())
        .execute();

      /** Final orders (not pending) by organisation, day of creation, wallet, currency, method and status. */
      await db.schema
        .createTable('order_day_totals')
        .addColumn('organisation_id', types.bigint, (c) => c.notNull())
        /** Days since 1970-01-01 in TIMEZONE_OFFSET. */
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('wallet_id', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('payment_method', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('orders', types.bigint, (c) => c.notNull())
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('order_day_totals_pk', ['organisation_id', 'day', 'wallet_id', 'currency', 'payment_method', 'status'])
        .execute();

      /** Ledger entries by wallet, day and kind. */
      await db.schema
        .createTable('ledger_day_totals')
        .addColumn('wallet_id', 'text', (c) => c.notNull())
        .addColumn('day', 'integer', (c) => c.notNull())
        .addColumn('kind', 'text', (c) => c.notNull())
        .addColumn('entries', types.bigint, (c) => c.notNull())
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('ledger_day_totals_pk', ['wallet_id', 'day', 'kind'])
        .execute();

      await db.schema.createIndex('ledger_wallet_created_idx').on('ledger_entries').columns(['wallet_id', 'created_at']).execute();
      await db.schema.dropIndex('ledger_wallet_idx').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('ledger_wallet_idx').on('ledger_entries').column('wallet_id').execute();
      await db.schema.dropIndex('ledger_wallet_created_idx').execute();
      await db.schema.dropTable('ledger_day_totals').execute();
      await db.schema.dropTable('order_day_totals').execute();
      await db.schema.dropTable('day_totals_progress').execute();
    },
  };
}
