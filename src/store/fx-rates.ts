import type { Selectable } from 'kysely';
import type { FxRateTable } from './schema.js';
import type { Db } from './store.js';

export type FxRateRecord = Selectable<FxRateTable>;

export async function upsertRate(db: Db, base: string, quote: string, rate: string, now: number): Promise<void> {
  await db
    .insertInto('fx_rates')
    .values({ base, quote, rate, updated_at: now })
    .onConflict((oc) => oc.columns(['base', 'quote']).doUpdateSet({ rate, updated_at: now }))
    .execute();
}

/** Adds the rate only when the pair has none (configuration seeds; the table is the truth). */
export async function insertRateIfAbsent(db: Db, base: string, quote: string, rate: string, now: number): Promise<void> {
  await db
    .insertInto('fx_rates')
    .values({ base, quote, rate, updated_at: now })
    .onConflict((oc) => oc.columns(['base', 'quote']).doNothing())
    .execute();
}

export async function findRate(db: Db, base: string, quote: string): Promise<FxRateRecord | undefined> {
  return db.selectFrom('fx_rates').selectAll().where('base', '=', base).where('quote', '=', quote).executeTakeFirst();
}

export async function listRates(db: Db, base?: string): Promise<FxRateRecord[]> {
  let query = db.selectFrom('fx_rates').selectAll().orderBy('base').orderBy('quote');
  if (base) query = query.where('base', '=', base);
  return query.execute();
}
