import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { SqliteDialect, type SqliteDatabase as SqliteDialectDatabase } from 'kysely';
import type { DialectParts } from './index.js';

/**
 * Embedded SQLite. WAL with synchronous=FULL: a transaction acknowledged to a caller is
 * on disk, so a crash right after a reply loses nothing.
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
    dialect: new SqliteDialect({ database: withStatementCache(database) }),
    types: { id: 'integer', bigint: 'integer' },
  };
}

/**
 * kysely prepares every statement anew; preparing is a tenth of a hot request's time.
 * Statements are reused by their SQL text (kysely runs one query at a time on this
 * connection, so a statement is never used by two queries at once).
 */
function withStatementCache(database: SqliteDatabase.Database, limit = 1_000): SqliteDialectDatabase {
  const statements = new Map<string, SqliteDatabase.Statement>();
  return {
    close: () => database.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (!statement) {
        if (statements.size >= limit) statements.clear();
        statement = database.prepare(sql);
        statements.set(sql, statement);
      }
      return statement as unknown as ReturnType<SqliteDialectDatabase['prepare']>;
    },
  };
}
