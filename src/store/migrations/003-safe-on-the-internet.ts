import { sql, type Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * Production mode and key management: test and live wallets, key rotation with a grace
 * period, the legacy-signature switch, the secret key's fingerprint, the audit log,
 * Idempotency-Keys, which signature forms each merchant uses, the failed-authentication
 * counters shared by instances, and the user a callback is signed for.
 */
export function safeOnTheInternetSchema(types: DialectParts['types']) {
  const id = (c: any) => (types.id === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    async up(db: Kysely<any>): Promise<void> {
      /** 1: a test wallet (the sandbox may serve it in production); 0: live. */
      await db.schema.alterTable('wallets').addColumn('test', 'integer', (c) => c.notNull().defaultTo(0)).execute();

      /** The key before the last rotation, accepted until api_key_previous_until (epoch ms). */
      await db.schema.alterTable('users').addColumn('api_key_previous_sealed', 'text').execute();
      await db.schema.alterTable('users').addColumn('api_key_previous_until', types.bigint).execute();
      /** 0: the legacy concatenated signatures (spec §2.2.4–6) are refused for this user. */
      await db.schema.alterTable('users').addColumn('legacy_signatures', 'integer', (c) => c.notNull().defaultTo(1)).execute();

      await db.schema
        .createTable('settings')
        .addColumn('key', 'text', (c) => c.primaryKey())
        .addColumn('value', 'text', (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('audit_events')
        .addColumn('id', types.id, id)
        .addColumn('at', types.bigint, (c) => c.notNull())
        /** Who: `cli:<os user>@<host>`, a user_id, `portal:<email>`. */
        .addColumn('actor', 'text', (c) => c.notNull())
        .addColumn('action', 'text', (c) => c.notNull())
        /** What it acted on: a user_id, an order_id, a rate pair… */
        .addColumn('target', 'text', (c) => c.notNull())
        /** JSON with the action's particulars; never a secret. */
        .addColumn('details', 'text', (c) => c.notNull())
        /** From where: the client address, or `cli`. */
        .addColumn('source', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('audit_events_at_idx').on('audit_events').column('at').execute();

      await db.schema
        .createTable('idempotency_keys')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('key', 'text', (c) => c.notNull())
        .addColumn('endpoint', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        /** `started` until the first request's answer is known, then `done`. */
        .addColumn('status', 'text', (c) => c.notNull())
        /** The first answer, as JSON. */
        .addColumn('answer', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('idempotency_keys_pk', ['user_id', 'key'])
        .execute();
      await db.schema.createIndex('idempotency_keys_created_idx').on('idempotency_keys').column('created_at').execute();

      await db.schema
        .createTable('signature_usage')
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('form', 'text', (c) => c.notNull())
        /** `YYYY-MM-DD` (UTC). */
        .addColumn('day', 'text', (c) => c.notNull())
        .addColumn('count', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('signature_usage_pk', ['user_id', 'form', 'day'])
        .execute();

      // rate-limiter-flexible's table (RateLimiterPostgres), for failed-authentication counts
      // shared by every instance on PostgreSQL.
      await db.schema
        .createTable('auth_failures')
        .addColumn('key', 'varchar(255)', (c) => c.primaryKey())
        .addColumn('points', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('expire', types.bigint)
        .execute();

      /** The user whose api key signs the callback (its webhook-signature is made at each attempt). */
      await db.schema.alterTable('notifications').addColumn('user_id', 'text').execute();
      await sql`update notifications set user_id = (select orders.user_id from orders where orders.order_id = notifications.order_id)`.execute(db);
    },
  };
}
