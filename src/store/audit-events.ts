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
