import { sql, type Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * Real providers: each wallet's provider accounts (credentials sealed), an order's payment
 * attempts (one per try with a provider: its ids, next action, and the payer's amounts),
 * the provider messages kept for audit, and an order flagged for review.
 *
 * An attempt's id is its order's id and two digits (`…01`, `…02`): the order of any
 * provider message is known without a lookup, and an order's attempts are a range of the
 * primary key. Orders from before attempts get attempt `…00` for the trade they have.
 */
export function providersSchema(types: DialectParts['types']) {
  const id = (c: any) => (types.id === 'integer' ? c.primaryKey().autoIncrement() : c.primaryKey());
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('provider_accounts')
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('wallet_id', 'text', (c) => c.notNull().references('wallets.id'))
        .addColumn('provider', 'text', (c) => c.notNull())
        /** The payment methods this account serves for the wallet, comma-separated. */
        .addColumn('methods', 'text', (c) => c.notNull())
        /** JSON of what is not secret (merchant ids, serials, base URL, public keys). */
        .addColumn('config', 'text', (c) => c.notNull())
        /** JSON of the secrets (private keys, API keys), sealed with SECRET_KEY. */
        .addColumn('secrets_sealed', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .addUniqueConstraint('provider_accounts_wallet_provider_unique', ['wallet_id', 'provider'])
        .execute();

      await db.schema
        .createTable('payment_attempts')
        /** The order id and two digits: what providers know as our trade number (out_trade_no, paymentRequestId). */
        .addColumn('attempt_id', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull())
        .addColumn('provider', 'text', (c) => c.notNull())
        .addColumn('account_id', 'text', (c) => c.notNull())
        .addColumn('method', 'text', (c) => c.notNull())
        /** How the customer pays this attempt: `qr`, `in_app`, `redirect`, `barcode`, `instructions`. */
        .addColumn('flow', 'text', (c) => c.notNull())
        /** `pending`, `paid`, `failed` (declined, closed, expired). */
        .addColumn('status', 'text', (c) => c.notNull())
        .addColumn('provider_payment_id', 'text')
        /** JSON of the next action the provider gave (a QR's content, a redirect…). */
        .addColumn('next_action', 'text')
        .addColumn('amount_minor', types.bigint, (c) => c.notNull())
        .addColumn('currency', 'text', (c) => c.notNull())
        /** What the payer paid in their own currency, and at what rate, when the provider says. */
        .addColumn('payer_amount_minor', types.bigint)
        .addColumn('payer_currency', 'text')
        .addColumn('payer_rate', 'text')
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('provider_messages')
        .addColumn('id', types.id, id)
        .addColumn('attempt_id', 'text', (c) => c.notNull())
        .addColumn('refund_id', 'text')
        .addColumn('provider', 'text', (c) => c.notNull())
        /** `create`, `query`, `close`, `notification`, `refund`, `refund_query`, `charge`. */
        .addColumn('kind', 'text', (c) => c.notNull())
        /** The message as JSON, secrets masked by the adapter. */
        .addColumn('body', 'text', (c) => c.notNull())
        .addColumn('at', types.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('provider_messages_attempt_idx').on('provider_messages').column('attempt_id').execute();

      /** Why a pending order waits for an operator (a payment whose amount or currency did not match), or null. */
      await db.schema.alterTable('orders').addColumn('review_reason', 'text').execute();
      /** The provider account chosen when the order was created (`sandbox` for the sandbox). */
      await db.schema.alterTable('orders').addColumn('provider_account_id', 'text').execute();
      await sql`update orders set provider_account_id = channel`.execute(db);
      // Orders pending with a real provider, for the reconciliation sweep: a partial index,
      // so the sandbox's orders (and every create for it) never touch it.
      await db.schema
        .createIndex('orders_provider_pending_idx')
        .on('orders')
        .columns(['created_at', 'order_id'])
        .where(sql.raw<boolean>(`status = 'pending' and provider_account_id <> 'sandbox'`))
        .execute();

      /** The attempt whose payment a refund gives back (a reversal: the attempt that paid late). */
      await db.schema.alterTable('refunds').addColumn('attempt_id', 'text').execute();
      await sql`update refunds set attempt_id = order_id || '00'`.execute(db);
      // Refunds still open (pending with no answer yet, or processing at the provider) are asked about again.
      await db.schema.createIndex('refunds_status_idx').on('refunds').columns(['status', 'updated_at']).execute();

      // The sandbox's trades are keyed by the attempt, like a provider's.
      await db.schema.alterTable('sandbox_trades').renameColumn('order_id', 'out_trade_no').execute();
      await sql`update sandbox_trades set out_trade_no = out_trade_no || '00'`.execute(db);
      await sql`
        insert into payment_attempts (attempt_id, order_id, provider, account_id, method, flow, status, provider_payment_id,
                                      next_action, amount_minor, currency, created_at, updated_at)
        select order_id || '00', order_id, channel, channel, payment_method,
               case when host_type = '0' and channel_qr_url is null then 'barcode' else 'qr' end,
               case status when 'paid' then 'paid' when 'pending' then 'pending' else 'failed' end,
               channel_trade_id,
               case when channel_qr_url is null then null else '{"type":"show_qr","qrContent":' || '"' || replace(channel_qr_url, '"', '\\"') || '"}' end,
               amount_minor, currency, created_at, updated_at
        from orders where channel_trade_id is not null`.execute(db);
    },
  };
}
