import { sql } from 'kysely';
import type { Db } from './store.js';

/**
 * Takes the next `size` numbers of the counter `name` for this process alone: one statement
 * that moves the counter on and answers where it now stands, atomic on both databases.
 * Answers the first number of the block.
 */
export async function takeIdBlock(db: Db, name: string, size: number): Promise<number> {
  const row = await db
    .updateTable('id_blocks')
    .set({ next_value: sql`next_value + ${size}` })
    .where('name', '=', name)
    .returning('next_value')
    .executeTakeFirst();
  if (!row) throw new Error(`no counter ${JSON.stringify(name)} in id_blocks (is the database migrated?)`);
  return Number(row.next_value) - size;
}
