#!/usr/bin/env node
// Runs the whole test suite on SQLite, then again on PostgreSQL when it is reachable
// (TEST_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/test). Without PostgreSQL
// the second run is skipped with one line, unless LATIPAY_REQUIRE_POSTGRES=1 (CI) makes it
// a failure. Extra arguments are test files to run instead of all of them.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

function findTests(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findTests(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out.sort();
}

const files = process.argv.length > 2 ? process.argv.slice(2) : findTests('test');
const databaseUrl = process.env.TEST_DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const requirePostgres = process.env.LATIPAY_REQUIRE_POSTGRES === '1';

function run(dialect) {
  console.log(`\n=== test suite on ${dialect} (${files.length} files) ===\n`);
  const result = spawnSync(process.execPath, ['--import', 'tsx', '--test', '--test-reporter=spec', ...files], {
    stdio: 'inherit',
    env: { ...process.env, TEST_DIALECT: dialect, TEST_DATABASE_URL: databaseUrl },
  });
  return result.status ?? 1;
}

async function postgresReachable() {
  const client = new pg.Client({ connectionString: databaseUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => {});
  }
}

let status = run('sqlite');
const reachable = await postgresReachable();
if (reachable === true) {
  status = run('postgres') || status;
} else if (requirePostgres) {
  console.error(`\nPostgreSQL is required (LATIPAY_REQUIRE_POSTGRES=1) but not reachable at ${databaseUrl}: ${reachable}`);
  status = 1;
} else {
  console.log(`\nSKIP PostgreSQL run: not reachable at ${databaseUrl} (${reachable}); set TEST_DATABASE_URL to run it.`);
}
process.exit(status);
