import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

export function initialSchema(types: DialectParts['types']) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('organisations')
        .addColumn('id', types.id, (c) => (types.id === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', types.bigint, (c) => c.notNull().references('organisations.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('api_key_sealed', 'text', (c) => c.notNull())
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('wallets')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('organisation_id', types.bigint, (c) => c.notNull().references('organisations.id'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('methods', 'text', (c) => c.notNull())
        .addColumn('single_limit_minor', types.bigint)
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('wallet_users')
        .addColumn('wallet_id', 'text', (c) => c.notNull().references('wallets.id'))
        .addColumn('user_id', 'text', (c) => c.notNull().references('users.id'))
        .addPrimaryKeyConstraint('wallet_users_pk', ['wallet_id', 'user_id'])
        .execute();

      await db.schema
        .createTable('orders')
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull())
        .addColumn('wallet_id', 'text', (c) => c.notNull())
        .addColumn('organisation_id', types.bigint, (c) => c.notNull())
        .addColumn('merchant_reference', 'text', (c) => c.notNull())
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('payment_method', 'text', (c) => c.notNull())
        .addColumn('product_name', 'text', (c) => c.notNull())
        .addColumn('return_url', 'text', (c) => c.notNull())
        .addColumn('callback_url', 'text', (c) => c.notNull())
        .addColumn('backpage_url', 'text')
        .addColumn('ip', 'text', (c) => c.notNull())
        .addColumn('host_type', 'text', (c) => c.notNull())
        .addColumn('present_qr', 'text', (c) => c.notNull())
        .addColumn('request_hash', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('nonce', 'text', (c) => c.notNull().unique())
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('channel_trade_id', 'text')
        .addColumn('channel_qr_url', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('paid_at', types.bigint)
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addUniqueConstraint('orders_user_reference_unique', ['user_id', 'merchant_reference'])
        .execute();
      await db.schema.createIndex('orders_status_expires_idx').on('orders').columns(['status', 'expires_at']).execute();

      await db.schema
        .createTable('notifications')
        .addColumn('id', types.id, (c) => (types.id === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('order_id', 'text', (c) => c.notNull().references('orders.order_id'))
        .addColumn('url', 'text', (c) => c.notNull())
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', types.bigint, (c) => c.notNull())
        .addColumn('lease_owner', 'text')
        .addColumn('lease_until', types.bigint)
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('delivered_at', types.bigint)
        .execute();
      await db.schema
        .createIndex('notifications_due_idx')
        .on('notifications')
        .columns(['status', 'next_attempt_at'])
        .execute();
      await db.schema.createIndex('notifications_order_idx').on('notifications').column('order_id').execute();

      await db.schema
        .createTable('notification_attempts')
        .addColumn('id', types.id, (c) => (types.id === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey()))
        .addColumn('notification_id', types.bigint, (c) => c.notNull().references('notifications.id'))
        .addColumn('attempted_at', types.bigint, (c) => c.notNull())
        .addColumn('http_status', 'integer')
        .addColumn('body_excerpt', 'text')
        .addColumn('duration_ms', 'integer', (c) => c.notNull())
        .addColumn('error', 'text')
        .addColumn('owner', 'text', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('notification_attempts_notification_idx')
        .on('notification_attempts')
        .column('notification_id')
        .execute();

      await db.schema
        .createTable('channel_events')
        .addColumn('channel', 'text', (c) => c.notNull())
        .addColumn('event_id', 'text', (c) => c.notNull())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('outcome', 'text', (c) => c.notNull())
        .addColumn('received_at', types.bigint, (c) => c.notNull())
        .addPrimaryKeyConstraint('channel_events_pk', ['channel', 'event_id'])
        .execute();

      await db.schema
        .createTable('sandbox_trades')
        .addColumn('trade_no', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull().unique())
        .addColumn('method', 'text', (c) => c.notNull())
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();
    },
  };
}
