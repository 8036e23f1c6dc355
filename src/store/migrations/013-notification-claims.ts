import { sql, type Kysely } from 'kysely';
import { endpointOf } from '../../domain/callback-endpoint.js';
import type { DialectParts } from '../dialect/index.js';
import { analyzeTable, resetStorageParameters, setStorageParameters } from '../dialect/table-storage.js';

/**
 * The callback outbox, made for claiming under churn (#21):
 *
 * - `endpoint`, the origin of the callback URL: when a callback to it is delivered, that
 *   endpoint's waiting retries are made due now (pullRetriesForward). Filled here for the
 *   callbacks not yet delivered; a delivered one gets it when it is re-sent.
 * - Partial indexes instead of `notifications_due_idx` (status, next_attempt_at), which held
 *   every delivered callback too: the claim reads `notifications_claim_idx`, which holds the
 *   pending ones only; the endpoint's waiting retries are found by `notifications_endpoint_idx`;
 *   retention finds delivered callbacks by delivery time (`notifications_delivered_idx`), the
 *   metrics and `callbacks list --abandoned` the abandoned ones (`notifications_abandoned_idx`).
 *   No index holds the lease columns, so a claim (which sets only them) can be a heap-only
 *   update on PostgreSQL and leaves no index entry behind.
 * - PostgreSQL: room on each page for those updates (fillfactor 70), and autovacuum after 1 %
 *   of the table has changed rather than 20 %, because every attempt leaves a dead row version.
 */
export function notificationClaimsSchema(_types: DialectParts['types']) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('notifications').addColumn('endpoint', 'text').execute();
      const urls = await db.selectFrom('notifications').select('url').distinct().where('status', '<>', 'delivered').execute();
      for (const { url } of urls as Array<{ url: string }>) {
        await db.updateTable('notifications').set({ endpoint: endpointOf(url) }).where('url', '=', url).where('status', '<>', 'delivered').execute();
      }

      await db.schema.createIndex('notifications_claim_idx').on('notifications').column('next_attempt_at').where(sql.ref('status'), '=', 'pending').execute();
      await db.schema
        .createIndex('notifications_endpoint_idx')
        .on('notifications')
        .columns(['endpoint', 'next_attempt_at'])
        .where(sql.ref('status'), '=', 'pending')
        .execute();
      await db.schema.createIndex('notifications_delivered_idx').on('notifications').column('delivered_at').where(sql.ref('status'), '=', 'delivered').execute();
      await db.schema.createIndex('notifications_abandoned_idx').on('notifications').column('id').where(sql.ref('status'), '=', 'abandoned').execute();
      await db.schema.dropIndex('notifications_due_idx').execute();

      await setStorageParameters(db, 'notifications', {
        fillfactor: 70,
        autovacuum_vacuum_scale_factor: 0.01,
        autovacuum_vacuum_insert_scale_factor: 0.05,
        autovacuum_analyze_scale_factor: 0.02,
      });
      // The planner learns the new indexes' sizes now rather than at the next autoanalyze.
      await analyzeTable(db, 'notifications');
    },
    async down(db: Kysely<any>): Promise<void> {
      await resetStorageParameters(db, 'notifications', ['fillfactor', 'autovacuum_vacuum_scale_factor', 'autovacuum_vacuum_insert_scale_factor', 'autovacuum_analyze_scale_factor']);
      await db.schema.createIndex('notifications_due_idx').on('notifications').columns(['status', 'next_attempt_at']).execute();
      await db.schema.dropIndex('notifications_abandoned_idx').execute();
      await db.schema.dropIndex('notifications_delivered_idx').execute();
      await db.schema.dropIndex('notifications_endpoint_idx').execute();
      await db.schema.dropIndex('notifications_claim_idx').execute();
      await db.schema.alterTable('notifications').dropColumn('endpoint').execute();
    },
  };
}
