import type { Insertable, Selectable } from 'kysely';
import type { AuditEventTable } from './schema.js';
import type { Db } from './store.js';

export type AuditEventRecord = Selectable<AuditEventTable>;

/** Appends one event; rows are never changed or deleted. */
export async function appendAuditEvent(db: Db, event: Omit<Insertable<AuditEventTable>, 'id'>): Promise<void> {
  await db.insertInto('audit_events').values(event).execute();
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
