import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * Invoices (payment links, spec §4.12): the invoice is its own record; its payment is one
 * ordinary order (the backing order, `order_id`), written when the payer first picks a
 * method on the invoice's page. Times are epoch milliseconds, booleans 0/1, like the rest.
 */
export function invoicesSchema(types: DialectParts['types']) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('invoices')
        .addColumn('invoice_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('wallet_id', 'text', (c) => c.notNull())
        .addColumn('organisation_id', types.bigint, (c) => c.notNull())
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        /** '' when the merchant gave none. */
        .addColumn('product_name', 'text', (c) => c.notNull())
        /** Minutes the page stays valid, counted from created_at. */
        .addColumn('period_time', 'integer', (c) => c.notNull())
        /** How many times the page may be opened; null: no limit. */
        .addColumn('max_open_count', 'integer')
        .addColumn('open_count', 'integer', (c) => c.notNull().defaultTo(0))
        /** 1: created on a phone, 0: elsewhere; null: not said. */
        .addColumn('app', 'integer')
        .addColumn('customer_order_id', 'text')
        .addColumn('customer_reference', 'text')
        /** '' when none. */
        .addColumn('return_url', 'text', (c) => c.notNull())
        .addColumn('notify_url', 'text', (c) => c.notNull())
        /** 1: the page (and the create answer) shows the QR of invoice_url. */
        .addColumn('qrcode', 'integer', (c) => c.notNull())
        /** The last segment of invoice_url: unguessable, the page's only credential. */
        .addColumn('token', 'text', (c) => c.notNull().unique())
        /** `pending`, or `canceled` once deleted; paid and failed are the backing order's. */
        .addColumn('status', 'text', (c) => c.notNull())
        /** The backing order, once a payer picked a method. */
        .addColumn('order_id', 'text', (c) => c.unique())
        /** Hash of the create's meaningful fields, to tell a retry from a conflicting reuse of customer_order_id. */
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .execute();
      // Both databases treat NULLs as distinct here: invoices without a customer_order_id never conflict.
      await db.schema.createIndex('invoices_user_customer_order_unique').on('invoices').columns(['user_id', 'customer_order_id']).unique().execute();
      // Listing: a user's invoices by creation time (and the wallet filter reads the rows found).
      await db.schema.createIndex('invoices_user_created_idx').on('invoices').columns(['user_id', 'created_at']).execute();
    },
  };
}
