import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * The merchant portal's transactions (docs/portal.md#transactions):
 *
 * - an organisation's orders newest first, for its transaction list and CSV export: a
 *   page is a backward range of (organisation_id, created_at, order_id). Without it each
 *   page read and sorted the whole table (0.4–1.6 s at a million orders, on both databases);
 *   with it a page reads its fifty rows. New orders land at the end of their
 *   organisation's part of it (created_at grows).
 * - a provider's events of one order, for the order's timeline: without an index, one
 *   order's events cost a scan of every event (0.1–0.2 s at a million).
 */
export function portalTransactionsSchema(_types: DialectParts['types']) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.createIndex('orders_organisation_created_idx').on('orders').columns(['organisation_id', 'created_at', 'order_id']).execute();
      await db.schema.createIndex('channel_events_order_idx').on('channel_events').column('order_id').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      await db.schema.dropIndex('channel_events_order_idx').execute();
      await db.schema.dropIndex('orders_organisation_created_idx').execute();
    },
  };
}
