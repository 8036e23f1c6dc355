import { Migrator, sql, type Kysely, type Migration } from 'kysely';
import type { DialectParts } from './dialect/index.js';
import { initialSchema } from './migrations/001-initial.js';
import { afterTheSaleSchema } from './migrations/002-after-the-sale.js';
import { safeOnTheInternetSchema } from './migrations/003-safe-on-the-internet.js';
import { providersSchema } from './migrations/004-providers.js';
import { invoicesSchema } from './migrations/005-invoices.js';
import { paymentMethodsSchema } from './migrations/007-payment-methods.js';
import { orderIdsAndNoncesSchema } from './migrations/008-order-ids-and-nonces.js';
import { portalSchema } from './migrations/009-portal.js';
import { portalTransactionsSchema } from './migrations/010-portal-transactions.js';
import { portalDashboardSchema } from './migrations/011-portal-dashboard.js';
import { portalLinksSchema } from './migrations/012-portal-links.js';
import { notificationClaimsSchema } from './migrations/013-notification-claims.js';
import { portalAuditSchema } from './migrations/014-portal-audit.js';

/** Versioned migrations, in order. Never edit a shipped one; add the next. */
function allMigrations(types: DialectParts['types']): Record<string, Migration> {
  return {
    '001-initial': initialSchema(types),
    '002-after-the-sale': afterTheSaleSchema(types),
    '003-safe-on-the-internet': safeOnTheInternetSchema(types),
    '004-providers': providersSchema(types),
    '005-invoices': invoicesSchema(types),
    '007-payment-methods': paymentMethodsSchema(types),
    '008-order-ids-and-nonces': orderIdsAndNoncesSchema(types),
    '009-portal': portalSchema(types),
    '010-portal-transactions': portalTransactionsSchema(types),
    '011-portal-dashboard': portalDashboardSchema(types),
    '012-portal-links': portalLinksSchema(),
    '013-notification-claims': notificationClaimsSchema(types),
    '014-portal-audit': portalAuditSchema(types),
  };
}

/**
 * Brings an empty or older database up to date. Safe to run from many processes at once:
 * kysely's migrator takes a lock (an advisory lock on PostgreSQL).
 */
export async function migrateToLatest(db: Kysely<any>, parts: Pick<DialectParts, 'kind' | 'types'>): Promise<string[]> {
  const types = parts.types;
  // On PostgreSQL the bookkeeping tables live in the schema the connection works in
  // (search_path), so several gateways can share one database in separate schemas.
  const schema =
    parts.kind === 'postgres'
      ? ((await sql<{ schema: string }>`select current_schema() as schema`.execute(db)).rows[0]?.schema ?? undefined)
      : undefined;
  const migrator = new Migrator({
    db,
    ...(schema ? { migrationTableSchema: schema } : {}),
    provider: { getMigrations: async () => allMigrations(types) },
    migrationTableName: 'schema_migrations',
    migrationLockTableName: 'schema_migrations_lock',
  });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
