import type { Kysely } from 'kysely';

/**
 * The portal lists an organisation's payment links newest first (`/portal/payment-links`),
 * so invoices are indexed by organisation and creation time, as they already are by user.
 * Opens need nothing new: the invoice page counts them in `open_count` since 005.
 */
export function portalLinksSchema() {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.createIndex('invoices_organisation_created_idx').on('invoices').columns(['organisation_id', 'created_at']).execute();
    },
  };
}
