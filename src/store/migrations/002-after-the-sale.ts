import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * After the sale: FX rates (recorded on each order), refunds, and the append-only ledger
 * the wallet balance is derived from.
 */
export function afterTheSaleSchema(types: DialectParts['types']) {
  const id = (c: any) => (types.id === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('fx_rates')
        .addColumn('base', 'text', (c) => c.notNull())
        .addColumn('quote', 'text', (c) => c.notNull())
        .addColumn('rate', 'text', (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('fx_rates_pk', ['base', 'quote'])
        .execute();

      await db.schema.alterTable('orders').addColumn('currency_rate', 'text').execute();
      await db.schema.alterTable('orders').addColumn('amount_cny_minor', types.bigint).execute();

      await db.schema
        .createTable('refunds')
        .addColumn('refund_id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.order_id'))
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('wallet_id', 'text', (c) => c.notNull())
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('reference', 'text', (c) => c.notNull())
        /** `merchant` (POST /refund) or `reversal` (a late payment for a cancelled order, given back). */
        .addColumn('kind', 'text', (c) => c.notNull())
        /** `pending` while the provider is asked, then `succeeded` or `failed`. */
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('channel_refund_id', 'text')
        .addColumn('failure', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('refunds_order_idx').on('refunds').column('order_id').execute();

      await db.schema
        .createTable('ledger_entries')
        .addColumn('id', types.id, id)
        .addColumn('wallet_id', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('refund_id', 'text')
        /** `payment` (+), `refund` (−), `refund_failed` (+, gives back a refund the provider refused). */
        .addColumn('kind', 'text', (c) => c.notNull())
        /** Signed minor units: credits positive, debits negative. */
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('ledger_wallet_idx').on('ledger_entries').column('wallet_id').execute();
      await db.schema.createIndex('ledger_order_idx').on('ledger_entries').column('order_id').execute();
    },
  };
}
