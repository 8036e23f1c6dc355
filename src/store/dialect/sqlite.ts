import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { DialectParts } from './index.js';
import { GroupCommitSqliteDialect } from './sqlite-group-commit.js';

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
  return {
    kind: 'sqlite',
    dialect: new GroupCommitSqliteDialect(database),
    types: { id: 'integer', bigint: 'integer' },
  };
}
