import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

export interface TestDatabase {
  /** A DATABASE_URL for a database (or schema) no other test uses. */
  url: string;
  /** A folder for the gateway's data (secret key, SQLite file). */
  dataDir: string;
  cleanup(): Promise<void>;
}

/** Which database the suite runs on: `npm test` runs it once per dialect (scripts/test.mjs). */
export const TEST_DIALECT = process.env.TEST_DIALECT === 'postgres' ? 'postgres' : 'sqlite';
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A fresh, empty database for one test: a temporary SQLite file, or on PostgreSQL a new
 * schema of its own (selected through the URL's `options=-c search_path=…`), dropped afterwards.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  const dataDir = mkdtempSync(join(tmpdir(), 'latipay-test-'));
  if (TEST_DIALECT === 'sqlite') {
    return {
      url: `sqlite:${join(dataDir, 'test.db')}`,
      dataDir,
      async cleanup() {
        rmSync(dataDir, { recursive: true, force: true });
      },
    };
  }
  const schema = `t_${randomBytes(8).toString('hex')}`;
  await withClient((client) => client.query(`CREATE SCHEMA ${schema}`));
  const url = new URL(TEST_DATABASE_URL);
  url.searchParams.set('options', `-c search_path=${schema}`);
  return {
    url: url.toString(),
    dataDir,
    async cleanup() {
      rmSync(dataDir, { recursive: true, force: true });
      await withClient((client) => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`));
    },
  };
}

async function withClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}
