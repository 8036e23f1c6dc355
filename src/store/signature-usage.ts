import { sql } from 'kysely';
import type { Db } from './store.js';

export interface SignatureUsageCount {
  user_id: string;
  form: string;
  day: string;
  count: number;
}

/** Adds counts to the day's totals (one row per user, form and day). */
export async function addSignatureUsage(db: Db, counts: readonly SignatureUsageCount[]): Promise<void> {
  if (counts.length === 0) return;
  await db
    .insertInto('signature_usage')
    .values(counts.map((c) => ({ ...c })))
    .onConflict((oc) => oc.columns(['user_id', 'form', 'day']).doUpdateSet({ count: sql`signature_usage.count + excluded.count` }))
    .execute();
}

/** How often each form verified a request of `userId` since `sinceDay` (YYYY-MM-DD), most used first. */
export async function listSignatureUsage(db: Db, userId: string, sinceDay: string): Promise<Array<{ form: string; count: number; last_day: string }>> {
  const rows = await db
    .selectFrom('signature_usage')
    .select((eb) => ['form', eb.fn.sum<number>('count').as('count'), eb.fn.max('day').as('last_day')])
    .where('user_id', '=', userId)
    .where('day', '>=', sinceDay)
    .groupBy('form')
    .execute();
  return rows.map((r) => ({ form: r.form, count: Number(r.count), last_day: String(r.last_day) })).sort((a, b) => b.count - a.count);
}
