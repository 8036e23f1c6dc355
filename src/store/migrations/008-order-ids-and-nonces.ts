import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * Order ids in Latipay's form (the date, then a counter: 19 digits that fit a BIGINT and the
 * VARCHAR(20) columns shop plugins use). The counter is shared by every gateway process on
 * the database: each takes a block of numbers at a time (`id_blocks`), so ids are unique
 * across instances without a round trip per order. Orders made before keep their ids.
 *
 * And the nonces an order had before a checkout retry gave it a fresh one, so that a page
 * the customer opened earlier still finds the order (it moves on to the current nonce).
 *
 * And the optional console fields of a create (is_staticpay, is_spotpay, goods_detail,
 * id_name, id_number sealed), in a table of their own: few orders have them, and the
 * create of every other order writes nothing more.
 */
export function orderIdsAndNoncesSchema(types: DialectParts['types']) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema
        .createTable('id_blocks')
        .addColumn('name', 'text', (c) => c.primaryKey())
        /** The first number no process has taken yet. */
        .addColumn('next_value', types.bigint, (c) => c.notNull())
        .execute();
      await db.insertInto('id_blocks').values({ name: 'order', next_value: 1 }).execute();

      await db.schema
        .createTable('earlier_nonces')
        .addColumn('nonce', 'text', (c) => c.primaryKey())
        .addColumn('order_id', 'text', (c) => c.notNull())
        /** When the order got its next nonce. */
        .addColumn('replaced_at', types.bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('order_details')
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        /** JSON: staticPay, spotPay, goods, idName, idNumberSealed (SecretBox). */
        .addColumn('details', 'text', (c) => c.notNull())
        .execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('order_details').execute();
      await db.schema.dropTable('earlier_nonces').execute();
      await db.schema.dropTable('id_blocks').execute();
    },
  };
}
