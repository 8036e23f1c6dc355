import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { GroupCommitSqliteDialect, type GroupCommitSqliteDriver, type WalSync } from '../../src/store/dialect/sqlite-group-commit.js';
import { walSyncer } from '../../src/store/dialect/sqlite.js';

// The embedded database's driver, whichever database the rest of the suite runs on.
describe('SQLite group commit', () => {
  let dir: string;
  let file: string;
  let db: Kysely<any>;
  let driver: GroupCommitSqliteDriver;
  /** A second, independent connection: it sees only what is committed. */
  let outside: SqliteDatabase.Database;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latipay-gc-'));
    file = join(dir, 'gc.db');
    const database = new SqliteDatabase(file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    database.pragma('foreign_keys = ON');
    const dialect = new GroupCommitSqliteDialect(database);
    const createDriver = dialect.createDriver.bind(dialect);
    dialect.createDriver = () => (driver = createDriver() as GroupCommitSqliteDriver);
    db = new Kysely<any>({ dialect });
    await sql`create table items (id text primary key, note text)`.execute(db);
    await sql`create table parents (id text primary key)`.execute(db);
    await sql`create table children (id text primary key, parent text references parents(id) deferrable initially deferred)`.execute(db);
    outside = new SqliteDatabase(file, { readonly: true });
  });

  afterEach(async () => {
    outside.close();
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const committedIds = () => outside.prepare('select id from items order by id').all().map((r: any) => r.id as string);
  const insert = (id: string, executor: Kysely<any> = db) => executor.insertInto('items').values({ id, note: null }).execute();

  test('writes and transactions issued together share one commit, each caller answered after it', async () => {
    const before = driver.stats.commits;
    const seenAtAnswer: string[][] = [];
    const writes = Array.from({ length: 40 }, (_, i) => insert(`w${String(i).padStart(2, '0')}`).then(() => seenAtAnswer.push(committedIds())));
    const transactions = Array.from({ length: 10 }, (_, i) =>
      db.transaction().execute(async (trx) => {
        await insert(`t${i}a`, trx);
        await insert(`t${i}b`, trx);
      }),
    );
    await Promise.all([...writes, ...transactions]);
    assert.equal(committedIds().length, 60);
    assert.ok(driver.stats.commits - before <= 2, `${driver.stats.commits - before} commits for 50 units`);
    // Whoever was answered could already read their row from another connection.
    seenAtAnswer.forEach((ids, i) => assert.ok(ids.includes(`w${String(i).padStart(2, '0')}`)));
  });

  test('a transaction that fails is undone alone; the others in its commit are kept', async () => {
    const failing = db.transaction().execute(async (trx) => {
      await insert('lost-1', trx);
      await insert('lost-2', trx);
      throw new Error('the unit gives up');
    });
    const kept = db.transaction().execute(async (trx) => insert('kept', trx));
    const plain = insert('plain');
    const results = await Promise.allSettled([failing, kept, plain]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'fulfilled', 'fulfilled']);
    assert.deepEqual(committedIds(), ['kept', 'plain']);
  });

  test('a duplicate key outside a transaction fails only its own statement', async () => {
    await insert('taken');
    const results = await Promise.allSettled([insert('taken'), insert('fresh')]);
    assert.equal(results[0].status, 'rejected');
    assert.match(String((results[0] as PromiseRejectedResult).reason), /UNIQUE/);
    assert.equal(results[1].status, 'fulfilled');
    assert.deepEqual(committedIds(), ['fresh', 'taken']);
  });

  test('a failed commit refuses every unit it held, keeps nothing of them, and the next commit works', async () => {
    // A deferred foreign key is checked only at COMMIT: the child without a parent fails it.
    const orphan = db.insertInto('children').values({ id: 'c1', parent: 'nobody' }).execute();
    const neighbour = insert('neighbour');
    const results = await Promise.allSettled([orphan, neighbour]);
    assert.deepEqual(results.map((r) => r.status), ['rejected', 'rejected']);
    assert.match(String((results[1] as PromiseRejectedResult).reason), /FOREIGN KEY/);
    assert.deepEqual(committedIds(), []);
    await insert('after');
    assert.deepEqual(committedIds(), ['after']);
  });

  test('a read issued with pending writes sees them and is answered only once they are on disk', async () => {
    const write = insert('pending-row');
    const read = db.selectFrom('items').select('id').execute().then((rows) => ({ rows, committed: committedIds() }));
    await write;
    const { rows, committed } = await read;
    assert.deepEqual(rows.map((r) => r.id), ['pending-row']);
    assert.deepEqual(committed, ['pending-row']);
  });

  test('several statements on one connection, writes among them, all run', async () => {
    const count = await db.connection().execute(async (conn) => {
      await insert('one', conn);
      await insert('two', conn);
      return (await conn.selectFrom('items').select(sql<number>`count(*)`.as('n')).executeTakeFirstOrThrow()).n;
    });
    assert.equal(Number(count), 2);
    assert.deepEqual(committedIds(), ['one', 'two']);
  });

  test('a savepoint rolls back inside a transaction that commits', async () => {
    const trx = await db.startTransaction().execute();
    await insert('outer', trx);
    const inner = await trx.savepoint('inner').execute();
    await insert('inner', inner);
    await inner.rollbackToSavepoint('inner').execute();
    await trx.commit().execute();
    assert.deepEqual(committedIds(), ['outer']);
  });
});

describe('SQLite group commit with a reader connection', () => {
  let dir: string;
  let db: Kysely<any>;
  let driver: GroupCommitSqliteDriver;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latipay-gc-'));
    const file = join(dir, 'gc.db');
    const database = new SqliteDatabase(file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = FULL');
    const reader = new SqliteDatabase(file);
    reader.pragma('query_only = ON');
    const dialect = new GroupCommitSqliteDialect(database, { reader });
    const createDriver = dialect.createDriver.bind(dialect);
    dialect.createDriver = () => (driver = createDriver() as GroupCommitSqliteDriver);
    db = new Kysely<any>({ dialect });
    await sql`create table items (id text primary key, note text)`.execute(db);
    await db.insertInto('items').values({ id: 'committed', note: null }).execute();
  });

  afterEach(async () => {
    await db.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  const ids = (executor: Kysely<any> = db) => executor.selectFrom('items').select('id').orderBy('id').execute().then((rows) => rows.map((r) => r.id as string));

  test('a read outside a transaction sees only committed rows and does not wait for the pending commit', async () => {
    const answered: string[] = [];
    const write = db.insertInto('items').values({ id: 'pending', note: null }).execute().then(() => answered.push('write'));
    const read = ids().then((rows) => {
      answered.push('read');
      return rows;
    });
    const before = driver.stats.readerReads;
    assert.deepEqual(await read, ['committed']);
    await write;
    assert.deepEqual(answered, ['read', 'write']);
    assert.equal(driver.stats.readerReads, before + 1);
    // Once the write is answered, every read sees it.
    assert.deepEqual(await ids(), ['committed', 'pending']);
  });

  test('a read inside a transaction runs on the writer and sees that transaction’s writes', async () => {
    const before = driver.stats.readerReads;
    const seen = await db.transaction().execute(async (trx) => {
      await trx.insertInto('items').values({ id: 'mine', note: null }).execute();
      return ids(trx);
    });
    assert.deepEqual(seen, ['committed', 'mine']);
    assert.equal(driver.stats.readerReads, before);
  });

  test('an update outside a transaction goes to the writer (the reader is query-only) and is read back', async () => {
    await db.updateTable('items').set({ note: 'changed' }).where('id', '=', 'committed').execute();
    const row = await db.selectFrom('items').select('note').where('id', '=', 'committed').executeTakeFirstOrThrow();
    assert.equal(row.note, 'changed');
  });
});

describe('SQLite group commit with the WAL synced off the event loop', () => {
  let dir: string;
  let file: string;
  let db: Kysely<any>;
  let driver: GroupCommitSqliteDriver;
  /** The syncs asked for and not finished yet: finish one with resolve() or reject(). */
  let pending: Array<{ resolve: () => void; reject: (error: Error) => void }>;
  let syncsAsked: number;

  function open(walSync: WalSync): void {
    const database = new SqliteDatabase(file);
    database.pragma('journal_mode = WAL');
    database.pragma('synchronous = NORMAL');
    const reader = new SqliteDatabase(file);
    reader.pragma('query_only = ON');
    const dialect = new GroupCommitSqliteDialect(database, { reader, walSync });
    const createDriver = dialect.createDriver.bind(dialect);
    dialect.createDriver = () => (driver = createDriver() as GroupCommitSqliteDriver);
    db = new Kysely<any>({ dialect });
  }

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'latipay-gc-'));
    file = join(dir, 'gc.db');
    pending = [];
    syncsAsked = 0;
    open({
      sync: () =>
        new Promise<void>((resolve, reject) => {
          syncsAsked++;
          pending.push({ resolve, reject });
        }),
      close: async () => {},
    });
    const created = sql`create table items (id text primary key, note text)`.execute(db);
    await until(() => pending.length === 1);
    pending.shift()!.resolve();
    await created;
  });

  afterEach(async () => {
    const closing = db.destroy();
    for (let i = 0; i < 10 && pending.length; i++) pending.shift()!.resolve();
    await closing;
    rmSync(dir, { recursive: true, force: true });
  });

  async function until(condition: () => boolean): Promise<void> {
    for (let i = 0; i < 1_000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
    assert.ok(condition(), 'condition not reached');
  }
  const insert = (id: string) => db.insertInto('items').values({ id, note: null }).execute();
  const tracked = <T>(promise: Promise<T>) => {
    const state = { settled: false, error: undefined as unknown, promise };
    promise.then(
      () => (state.settled = true),
      (error: unknown) => {
        state.settled = true;
        state.error = error;
      },
    );
    return state;
  };

  test('a caller is answered only after a sync that began after its commit; commits go on meanwhile, one sync at a time', async () => {
    const commits = driver.stats.commits;
    const a = tracked(insert('a'));
    await until(() => driver.stats.commits === commits + 1 && pending.length === 1);
    const b = tracked(insert('b'));
    await until(() => driver.stats.commits === commits + 2);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(pending.length, 1, 'a second sync started while one was running');
    assert.equal(a.settled || b.settled, false);
    pending.shift()!.resolve();
    await a.promise;
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(b.settled, false, 'b was answered by a sync that began before its commit');
    await until(() => pending.length === 1);
    pending.shift()!.resolve();
    await b.promise;
  });

  test('a read that sees a commit not synced yet is answered only after its sync', async () => {
    const write = tracked(insert('unsynced'));
    await until(() => pending.length === 1);
    const read = tracked(db.selectFrom('items').select('id').execute());
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(read.settled, false);
    pending.shift()!.resolve();
    assert.deepEqual((await read.promise).map((r) => r.id), ['unsynced']);
    await write.promise;
  });

  test('a failed sync refuses the callers of the commits it covered; the next one answers later callers', async () => {
    const lost = tracked(insert('x'));
    await until(() => pending.length === 1);
    pending.shift()!.reject(new Error('EIO: the disk went away'));
    await until(() => lost.settled);
    assert.match(String(lost.error), /EIO/);
    const later = tracked(insert('y'));
    await until(() => pending.length === 1);
    pending.shift()!.resolve();
    await later.promise;
    assert.equal(later.error, undefined);
  });

  test('walSyncer syncs the real WAL file: what a caller was told is readable by a fresh connection', async () => {
    const closing = db.destroy();
    for (let i = 0; i < 10 && pending.length; i++) pending.shift()!.resolve();
    await closing;
    const syncer = walSyncer(file);
    open(syncer);
    await insert('on-disk');
    assert.ok(driver.stats.walSyncs >= 1);
    const fresh = new SqliteDatabase(file, { readonly: true });
    try {
      assert.deepEqual(fresh.prepare('select id from items').all(), [{ id: 'on-disk' }]);
    } finally {
      fresh.close();
    }
  });
});
