import type { Kysely } from 'kysely';
import type { DialectParts } from '../dialect/index.js';

/**
 * The merchant portal (docs/portal.md): its users, their sessions and one-time
 * set-password links. Secrets are never stored as given: a session and a link are found by
 * the SHA-256 of their token, a password by its scrypt hash, a TOTP secret sealed with
 * SECRET_KEY (sealed-secrets.ts re-seals it on rotation).
 *
 * And an `active` flag on organisations: an operator can disable a whole merchant account,
 * whose portal users then can no longer sign in; and the organisation an audit event
 * belongs to, so that a merchant's portal shows its own events only.
 */
export function portalSchema(types: DialectParts['types']) {
  return {
    async up(db: Kysely<any>): Promise<void> {
      await db.schema.alterTable('organisations').addColumn('active', 'integer', (c) => c.notNull().defaultTo(1)).execute();
      await db.schema.alterTable('audit_events').addColumn('organisation_id', types.bigint).execute();
      await db.schema.createIndex('audit_events_organisation').on('audit_events').columns(['organisation_id', 'at']).execute();

      await db.schema
        .createTable('portal_users')
        .addColumn('id', 'text', (c) => c.primaryKey())
        /** null: an operator (the gateway's own staff). */
        .addColumn('organisation_id', types.bigint, (c) => c.references('organisations.id'))
        /** Lowercased. */
        .addColumn('email', 'text', (c) => c.notNull().unique())
        /** owner, admin, developer, support, viewer; operator. */
        .addColumn('role', 'text', (c) => c.notNull())
        /** `scrypt$N$r$p$salt$hash`; null until the user follows their set-password link. */
        .addColumn('password_hash', 'text')
        /** The TOTP secret (base32), sealed; null: no two-factor. */
        .addColumn('totp_secret_sealed', 'text')
        /** The last TOTP time step accepted, so that a code is not accepted twice. */
        .addColumn('totp_last_step', types.bigint)
        .addColumn('active', 'integer', (c) => c.notNull().defaultTo(1))
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('updated_at', types.bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('portal_users_organisation').on('portal_users').column('organisation_id').execute();

      await db.schema
        .createTable('portal_sessions')
        /** SHA-256 (hex) of the cookie's token; the token itself is never stored. */
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('portal_users.id'))
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('last_seen_at', types.bigint, (c) => c.notNull())
        /** The absolute expiry; the idle one is counted from last_seen_at. */
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('user_agent', 'text', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('portal_sessions_user').on('portal_sessions').column('user_id').execute();

      await db.schema
        .createTable('portal_links')
        /** SHA-256 (hex) of the link's token. */
        .addColumn('id', 'text', (c) => c.primaryKey())
        .addColumn('user_id', 'text', (c) => c.notNull().references('portal_users.id'))
        .addColumn('created_at', types.bigint, (c) => c.notNull())
        .addColumn('expires_at', types.bigint, (c) => c.notNull())
        .addColumn('used_at', types.bigint)
        .execute();
      await db.schema.createIndex('portal_links_user').on('portal_links').column('user_id').execute();
    },
    async down(db: Kysely<any>): Promise<void> {
      await db.schema.dropTable('portal_links').execute();
      await db.schema.dropTable('portal_sessions').execute();
      await db.schema.dropTable('portal_users').execute();
      await db.schema.dropIndex('audit_events_organisation').execute();
      await db.schema.alterTable('audit_events').dropColumn('organisation_id').execute();
      await db.schema.alterTable('organisations').dropColumn('active').execute();
    },
  };
}
