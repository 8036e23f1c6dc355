import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * The NZ and Australian payment methods in the sandbox: what a sandbox trade ended with
 * besides its status (the bank the payer chose, a rejected PayID payment's reason and the
 * reference that was blocked), so that its notification, sent again or found by a query,
 * says the same thing every time.
 */
export function paymentMethodsSchema(_types: DialectParts['types']) {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      /** JSON: `{bank?, message?, blockData?}`; null for a trade with nothing to add. */
      await db.schema.alterTable('sandbox_trades').addColumn('detail', 'text').execute();
    },
  };
}
