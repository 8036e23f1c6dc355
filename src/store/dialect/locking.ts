import type { SelectQueryBuilder } from 'kysely';
import type { DialectKind } from './index.js';

/**
 * `FOR UPDATE SKIP LOCKED` where the database has it (PostgreSQL). SQLite has one writer
 * at a time, so its claim (a single UPDATE … WHERE id IN (SELECT …)) is already exclusive.
 */
export function lockSkippingLocked<DB, TB extends keyof DB, O>(
  kind: DialectKind,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return kind === 'postgres' ? query.forUpdate().skipLocked() : query;
}

/** `FOR UPDATE` on PostgreSQL; nothing on SQLite, whose transaction holds the one write lock. */
export function lockForUpdate<DB, TB extends keyof DB, O>(
  kind: DialectKind,
  query: SelectQueryBuilder<DB, TB, O>,
): SelectQueryBuilder<DB, TB, O> {
  return kind === 'postgres' ? query.forUpdate() : query;
}
