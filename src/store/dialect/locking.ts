import { PostgresAdapter, sql, type Expression, type Kysely, type SelectQueryBuilder, type SqlBool } from 'kysely';
import type { DialectKind } from './index.js';

/** Which database `db` (or a transaction of it) talks to: the one place that asks. */
export function dialectOf(db: Kysely<any>): DialectKind {
  return db.getExecutor().adapter instanceof PostgresAdapter ? 'postgres' : 'sqlite';
}

/**
 * `FOR UPDATE SKIP LOCKED` where the database has it (PostgreSQL). SQLite has one writer
 * at a time, so its claim (a single UPDATE … WHERE id IN (SELECT …)) is already exclusive.
 */
export function lockSkippingLocked<DB, TB extends keyof DB, O>(db: Kysely<any>, query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return dialectOf(db) === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/** `FOR UPDATE` on PostgreSQL; nothing on SQLite, whose transaction holds the one write lock. */
export function lockForUpdate<DB, TB extends keyof DB, O>(db: Kysely<any>, query: SelectQueryBuilder<DB, TB, O>): SelectQueryBuilder<DB, TB, O> {
  return dialectOf(db) === 'postgres' ? query.forUpdate() : query;
}

/**
 * `id in (candidates)` for an UPDATE of the rows a locking SELECT picked. On PostgreSQL it is
 * `id = any(array(candidates))`: the candidates are found first, then their rows through
 * the primary key, whatever the planner estimates of the table (a generic plan of a `limit $n`
 * sub-select may otherwise hash-join the whole table).
 */
export function idAmong(db: Kysely<any>, candidates: SelectQueryBuilder<any, any, { id: any }>): Expression<SqlBool> {
  return dialectOf(db) === 'postgres' ? sql<SqlBool>`${sql.ref('id')} = any(array(${candidates}))` : sql<SqlBool>`${sql.ref('id')} in (${candidates})`;
}
