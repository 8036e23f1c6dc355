import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { DialectParts } from './index.js';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';

/** A second connection that only reads (see GroupCommitSqliteDialect). */
function openReader(path: string): SqliteDatabase.Database {
  const reader = new SqliteDatabase(path);
  reader.pragma('busy_timeout = 5000');
  reader.pragma('query_only = ON');
  return reader;
}

/**
 * Embedded SQLite. WAL with synchronous=FULL: a transaction acknowledged to a caller is
 * on disk, so a crash right after a reply loses nothing. Units of work that arrive
 * together share one commit (see GroupCommitSqliteDialect).
 */
export function createSqliteParts(path: string): DialectParts {
  if (path !== ':memory:') mkdirSync(dirname(resolve(path)), { recursive: true });
  const database = new SqliteDatabase(path);
  database.pragma('journal_mode = WAL');
  database.pragma('synchronous = FULL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // Each logical transaction is a savepoint (see GroupCommitSqliteDialect), and a savepoint
  // copies the pages it changes into a statement journal: keep that in memory, not in a
  // temporary file (~25% of an insert's time).
  database.pragma('temp_store = MEMORY');
  return {
    kind: 'sqlite',
    dialect: new GroupCommitSqliteDialect(database, path === ':memory:' ? undefined : openReader(path)),
    types: { id: 'integer', bigint: 'integer' },
  };
}
