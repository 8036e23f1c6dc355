import { sql, type Insertable, type Selectable } from 'kysely';
import type { AuditEventTable } from './schema.js';
import type { Db } from './store.js';

export type AuditEventRecord = Selectable<AuditEventTable>;

/**
 * Appends one event; rows are never changed or deleted. An event that names no organisation
 * belongs to the one owning its subject, when the subject is an API user, a wallet, an order
 * or an invoice (a merchant's refund, an operator's `merchant disable`): found in the same
 * statement, as migration 014 did for the events written before. Others (an FX rate,
 * SECRET_KEY) keep none, and no merchant's portal shows them.
 */
export async function appendAuditEvent(db: Db, event: Omit<Insertable<AuditEventTable>, 'id'>): Promise<void> {
  if (event.organisation_id !== null && event.organisation_id !== undefined) {
    await db.insertInto('audit_events').values(event).execute();
    return;
  }
  const target = event.target;
  await db
    .insertInto('audit_events')
    .values({
      ...event,
      organisation_id: sql<number | null>`coalesce(
        (${db.selectFrom('users').select('organisation_id').where('id', '=', target)}),
        (${db.selectFrom('wallets').select('organisation_id').where('id', '=', target)}),
        (${db.selectFrom('orders').select('organisation_id').where('order_id', '=', target)}),
        (${db.selectFrom('invoices').select('organisation_id').where('invoice_id', '=', target)}))`,
    })
    .execute();
}

/** Events at or after `since` (epoch ms), oldest first, at most `limit`; optionally only those about `target`. */
export async function listAuditEvents(db: Db, options: { since: number; limit: number; target?: string }): Promise<AuditEventRecord[]> {
  let query = db.selectFrom('audit_events').selectAll().where('at', '>=', options.since);
  if (options.target !== undefined) query = query.where('target', '=', options.target);
  return query.orderBy('at').orderBy('id').limit(options.limit).execute();
}

/** Where a page of an organisation's events ends: the last event shown (newest first). */
export interface AuditCursor {
  readonly at: number;
  readonly id: number;
}

/**
 * One organisation's events, newest first, at most `limit`: at or after `since` (epoch ms)
 * when given, only `action` when given, and only those older than `after` (the last event of
 * the page before).
 */
export async function listOrganisationAuditEvents(
  db: Db,
  options: { organisationId: number; limit: number; since?: number; action?: string; after?: AuditCursor },
): Promise<AuditEventRecord[]> {
  let query = db.selectFrom('audit_events').selectAll().where('organisation_id', '=', options.organisationId);
  if (options.since !== undefined) query = query.where('at', '>=', options.since);
  if (options.action !== undefined) query = query.where('action', '=', options.action);
  const after = options.after;
  if (after) query = query.where((eb) => eb.or([eb('at', '<', after.at), eb.and([eb('at', '=', after.at), eb('id', '<', after.id)])]));
  return query.orderBy('at', 'desc').orderBy('id', 'desc').limit(options.limit).execute();
}
