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

/**
 * PostgreSQL: vacuums `table` when its dead row versions are at least `minDead` and at least
 * `deadShare` of its live rows (as the statistics collector last saw them), skipping it when
 * another VACUUM holds the table; answers what it saw and whether it vacuumed. SQLite keeps
 * no row versions: answers undefined.
 */
export async function vacuumIfChurned(
  db: Kysely<any>,
  table: string,
  limits: { minDead: number; deadShare: number },
): Promise<{ live: number; dead: number; vacuumed: boolean } | undefined> {
  if (dialectOf(db) !== 'postgres') return undefined;
  const { rows } = await sql<{ live: string; dead: string }>`
    select n_live_tup as live, n_dead_tup as dead from pg_stat_user_tables where relid = to_regclass(${table})`.execute(db);
  if (rows.length === 0) return undefined;
  const live = Number(rows[0].live);
  const dead = Number(rows[0].dead);
  const vacuumed = dead >= limits.minDead && dead >= live * limits.deadShare;
  if (vacuumed) await sql`vacuum (skip_locked) ${sql.table(table)}`.execute(db);
  return { live, dead, vacuumed };
}
