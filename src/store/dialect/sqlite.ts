import { fstatSync, mkdirSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import type { DialectParts } from './index.js';
import { GroupCommitSqliteDialect, type WalSync } from './sqlite-group-commit.js';

/**
 * Embedded SQLite in WAL mode. A transaction acknowledged to a caller is on disk, so a
 * crash right after a reply loses nothing: units of work that arrive together share one
 * commit, and the commit's WAL is synced off the event loop before anyone is answered
 * (see GroupCommitSqliteDialect). `:memory:` has neither a file nor a reader.
 */
export function createSqliteParts(path: string): DialectParts {
  const memory = path === ':memory:';
  if (!memory) mkdirSync(dirname(resolve(path)), { recursive: true });
  const database = new SqliteDatabase(path);
  database.pragma('journal_mode = WAL');
  // NORMAL: COMMIT writes the WAL without syncing it; walSyncer() syncs it, in the thread
  // pool, before any caller hears of the commit. SQLite still syncs around checkpoints.
  database.pragma(memory ? 'synchronous = FULL' : 'synchronous = NORMAL');
  database.pragma('busy_timeout = 5000');
  database.pragma('foreign_keys = ON');
  // Each logical transaction is a savepoint (see GroupCommitSqliteDialect), and a savepoint
  // copies the pages it changes into a statement journal: keep that in memory, not in a
  // temporary file (~25% of an insert's time).
  database.pragma('temp_store = MEMORY');
  return {
    kind: 'sqlite',
    dialect: new GroupCommitSqliteDialect(database, memory ? {} : { reader: openReader(path), walSync: walSyncer(path) }),
    types: { id: 'integer', bigint: 'integer' },
  };
}

/** A second connection that only reads (see GroupCommitSqliteDialect). */
function openReader(path: string): SqliteDatabase.Database {
  const reader = new SqliteDatabase(path);
  reader.pragma('busy_timeout = 5000');
  reader.pragma('query_only = ON');
  return reader;
}

/**
 * fdatasync of the database's WAL file, on its own descriptor (the page cache is the
 * file's, so this flushes what SQLite wrote through its own). The first time, the
 * directory is synced too, so the WAL file's name survives a power cut. SQLite deletes
 * the WAL only when its last connection closes; should a new one have replaced it, the
 * new one is opened and synced.
 */
export function walSyncer(path: string): WalSync {
  const walPath = `${resolve(path)}-wal`;
  let handle: FileHandle | undefined;
  const openWal = async (): Promise<FileHandle> => {
    const wal = await open(walPath, 'r+');
    const directory = await open(dirname(walPath), 'r');
    try {
      await directory.sync();
    } finally {
      await directory.close();
    }
    return wal;
  };
  return {
    async sync() {
      handle ??= await openWal();
      await handle.datasync();
      if (fstatSync(handle.fd).nlink === 0) {
        await handle.close();
        handle = undefined;
        handle = await openWal();
        await handle.datasync();
      }
    },
    async close() {
      await handle?.close();
      handle = undefined;
    },
  };
}
