import { sql, type Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * The organisation of the audit events written before events carried one (009-portal added
 * the column): an event about an API user, a wallet, an order or an invoice belongs to the
 * organisation that owns it, the same rule `appendAuditEvent` applies to new events whose
 * writer does not name one. Events about the gateway as a whole (an FX rate, SECRET_KEY)
 * keep null: they concern no merchant, and no merchant's portal shows them.
 */
export function portalAuditSchema(_types: DialectParts['types']) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await sql`
        update audit_events set organisation_id = coalesce(
          (select users.organisation_id from users where users.id = audit_events.target),
          (select wallets.organisation_id from wallets where wallets.id = audit_events.target),
          (select orders.organisation_id from orders where orders.order_id = audit_events.target),
          (select invoices.organisation_id from invoices where invoices.invoice_id = audit_events.target))
        where organisation_id is null`.execute(db);
    },
    async down(): Promise<void> {
      // The column goes with 009-portal's down; what this filled in cannot be told apart.
    },
  };
}
