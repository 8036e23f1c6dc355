import { sql, type Kysely } from 'kysely';
import { dialectOf } from './locking.js';

/**
 * PostgreSQL: sets a table's storage parameters (`fillfactor`, per-table autovacuum
 * settings). SQLite has no such thing (no row versions to leave behind): nothing is done.
 */
export async function setStorageParameters(db: Kysely<any>, table: string, parameters: Readonly<Record<string, number>>): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  const settings = Object.entries(parameters).map(([name, value]) => {
    if (!/^[a-z_]+$/.test(name) || !Number.isFinite(value)) throw new Error(`bad storage parameter ${name}=${value}`);
    return sql.raw(`${name} = ${value}`);
  });
  await sql`alter table ${sql.table(table)} set (${sql.join(settings)})`.execute(db);
}

/** PostgreSQL: puts a table's storage parameters back to the defaults; SQLite: nothing. */
export async function resetStorageParameters(db: Kysely<any>, table: string, names: readonly string[]): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  for (const name of names) if (!/^[a-z_]+$/.test(name)) throw new Error(`bad storage parameter ${name}`);
  await sql`alter table ${sql.table(table)} reset (${sql.join(names.map((name) => sql.raw(name)))})`.execute(db);
}

/** PostgreSQL: refreshes a table's planner statistics now (after new indexes); SQLite: nothing, it plans without them. */
export async function analyzeTable(db: Kysely<any>, table: string): Promise<void> {
  if (dialectOf(db) !== 'postgres') return;
  await sql`analyze ${sql.table(table)}`.execute(db);
}
