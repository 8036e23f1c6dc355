import type { Selectable } from 'kysely';
import type { PortalLinkTable } from './schema.js';
import type { Db } from './store.js';

export type PortalLinkRecord = Selectable<PortalLinkTable>;

export async function insertPortalLink(db: Db, link: Omit<PortalLinkRecord, 'used_at'>): Promise<void> {
  await db.insertInto('portal_links').values({ ...link, used_at: null }).execute();
}

/** The link whose id (the SHA-256 of its token) is `id`, when it is unused and not expired. */
export async function findUsablePortalLink(db: Db, id: string, now: number): Promise<PortalLinkRecord | undefined> {
  const row = await db
    .selectFrom('portal_links')
    .selectAll()
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return row ? { ...row, expires_at: Number(row.expires_at), created_at: Number(row.created_at) } : undefined;
}

/** Marks a usable link used; answers false when it was used already (or expired) — a link works once. */
export async function claimPortalLink(db: Db, id: string, now: number): Promise<boolean> {
  const result = await db
    .updateTable('portal_links')
    .set({ used_at: now })
    .where('id', '=', id)
    .where('used_at', 'is', null)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1;
}

/** Deletes a user's links not used yet: a new link replaces them. */
export async function deleteUnusedPortalLinks(db: Db, userId: string): Promise<void> {
  await db.deleteFrom('portal_links').where('user_id', '=', userId).where('used_at', 'is', null).execute();
}
