import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import SqliteDatabase from 'better-sqlite3';
import { Kysely, sql } from 'kysely';
import { startCheckpointer } from '../../src/store/dialect/sqlite-checkpointer.js';
import { createSqliteParts } from '../../src/store/dialect/sqlite.js';

async function until(condition: () => boolean, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition() && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), 'condition not reached');
}

describe('the SQLite checkpointer thread', () => {
  let dir: string;
  let file: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'latipay-ckpt-'));
    file = join(dir, 'c.db');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('copies committed pages into the database file while the writer never checkpoints', async () => {
    const writer = new SqliteDatabase(file);
    writer.pragma('journal_mode = WAL');
    writer.pragma('wal_autocheckpoint = 0');
    writer.exec('create table items (id integer primary key, note text)');
    const insert = writer.prepare('insert into items (note) values (?)');
    writer.transaction(() => {
      for (let i = 0; i < 2_000; i++) insert.run('x'.repeat(200));
    })();
    const before = statSync(file).size;
    const walPages = statSync(`${file}-wal`).size / 4096;
    assert.ok(walPages > 100, `the rows are in the WAL (${walPages} pages)`);

    const checkpointer = startCheckpointer(file, { intervalMs: 20 });
    try {
      // The database file grows by the pages the thread copied into it.
      await until(() => statSync(file).size > before + 100 * 4096);
      // The writer goes on; what it commits next is copied too, and every row reads back.
      writer.transaction(() => {
        for (let i = 0; i < 500; i++) insert.run('y'.repeat(200));
      })();
      const copied = statSync(file).size;
      await until(() => statSync(file).size > copied);
    } finally {
      await checkpointer.close();
    }
    assert.equal((writer.prepare('select count(*) as n from items').get() as { n: number }).n, 2_500);
    writer.close();
    // The writer was the last connection: the thread's connection is closed, so SQLite
    // finished the WAL and removed it.
    assert.equal(existsSync(`${file}-wal`), false);
  });

  test('reports a connection it cannot open, and closing it afterwards still resolves', async () => {
    const errors: string[] = [];
    const checkpointer = startCheckpointer(join(dir, 'missing', 'none.db'), { intervalMs: 20, onError: (message) => errors.push(message) });
    await until(() => errors.length > 0);
    assert.match(errors[0], /directory does not exist|unable to open|no such file/i);
    await checkpointer.close();
  });

  test('runs beside a gateway database (createSqliteParts) and is stopped when it is destroyed', async () => {
    const parts = createSqliteParts(file);
    const db = new Kysely<any>({ dialect: parts.dialect });
    await sql`create table items (id integer primary key, note text)`.execute(db);
    const size = statSync(file).size;
    for (let round = 0; round < 20; round++) {
      await Promise.all(Array.from({ length: 50 }, (_, i) => db.insertInto('items').values({ note: `${round}-${i}-${'z'.repeat(300)}` }).execute()));
    }
    // The rows reach the database file before any checkpoint of the writer's (its backstop
    // waits for 10,000 WAL pages; these are ~100).
    await until(() => statSync(file).size > size + 50 * 4096);
    await db.destroy();
    assert.equal(existsSync(`${file}-wal`), false, 'every connection closed: the WAL is gone');
    const check = new SqliteDatabase(file, { readonly: true });
    assert.equal((check.prepare('select count(*) as n from items').get() as { n: number }).n, 1_000);
    check.close();
  });
});
