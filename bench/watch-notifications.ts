/**
 * `node --import tsx bench/watch-notifications.ts [--schema=bench_…] [--seconds=90] [--every=2] [--claim=current|before-013|current-update|before-013-update]`
 *
 * Watches the callback outbox of a running PostgreSQL bench (the schema `npm run bench` printed,
 * else the newest `bench_*` schema that has a `notifications` table, at BENCH_POSTGRES_URL:
 * mind other benches on the same server) and prints one line every
 * `--every` seconds: the table's live and dead tuples, its updates and how many were HOT,
 * autovacuum runs, the claim index's size, and an EXPLAIN (ANALYZE, BUFFERS) of the claim's
 * candidate scan (run in a transaction that is rolled back; its FOR UPDATE SKIP LOCKED takes
 * no row the worker holds). `--claim=before-013` explains the claim as it was before
 * migration 013. Stops by itself after `--seconds`.
 */
import pg from 'pg';

const args = process.argv.slice(2);
const valueOf = (name: string) => args.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const seconds = Number(valueOf('seconds') ?? 90);
const every = Number(valueOf('every') ?? 2);
const claim = valueOf('claim') ?? 'current';
const only = valueOf('schema');
const POSTGRES_URL = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const CLAIMS: Record<string, string> = {
  'before-013': `select id from notifications where status = 'pending' and next_attempt_at <= $1
    and (lease_until is null or lease_until < $1) order by next_attempt_at limit 128 for update skip locked`,
  current: `select id from notifications where status = 'pending' and next_attempt_at <= $1
    and (lease_until is null or lease_until < $1) order by next_attempt_at limit 128 for update skip locked`,
};
// The whole claim, its UPDATE included (rolled back like the rest).
CLAIMS['before-013-update'] = `update notifications set lease_owner = 'watch', lease_until = 0 where id in (${CLAIMS['before-013']}) returning *`;
CLAIMS['current-update'] = `update notifications set lease_owner = 'watch', lease_until = 0 where id = any(array(${CLAIMS.current})) returning *`;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function main(): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES_URL });
  await client.connect();
  const started = Date.now();
  let schema: string | undefined;
  try {
    while (Date.now() - started < seconds * 1000) {
      if (!schema) {
        const found = await client.query<{ schema: string }>(
          `select n.nspname as schema from pg_class c join pg_namespace n on n.oid = c.relnamespace
           where c.relname = 'notifications' and n.nspname like $1 order by c.oid desc limit 1`,
          [only ?? 'bench\\_%'],
        );
        schema = found.rows[0]?.schema;
        if (!schema) {
          await sleep(500);
          continue;
        }
        await client.query(`set search_path = ${schema}`);
        console.log(`watching ${schema}`);
      }
      const t = ((Date.now() - started) / 1000).toFixed(0).padStart(3);
      try {
        const stats = await client.query(
          `select n_live_tup, n_dead_tup, n_tup_upd, n_tup_hot_upd, autovacuum_count, autoanalyze_count,
             (select count(*) from notifications where status = 'pending') as pending,
             (select string_agg(indexrelname || '=' || pg_size_pretty(pg_relation_size(indexrelid)), ' ') from pg_stat_user_indexes where relname = 'notifications' and schemaname = current_schema()) as indexes
           from pg_stat_user_tables where relname = 'notifications' and schemaname = current_schema()`,
        );
        await client.query('begin');
        const plan = await client.query(`explain (analyze, buffers, format json) ${CLAIMS[claim]}`, [Date.now()]);
        await client.query('rollback');
        const top = (plan.rows[0] as { 'QUERY PLAN': Array<{ Plan: Record<string, number>; 'Execution Time': number }> })['QUERY PLAN'][0];
        const s = stats.rows[0] as Record<string, string>;
        console.log(
          `${t}s pending ${s.pending} live ${s.n_live_tup} dead ${s.n_dead_tup} upd ${s.n_tup_upd} hot ${s.n_tup_hot_upd} autovacuum ${s.autovacuum_count} | ` +
            `claim ${top['Execution Time'].toFixed(2)} ms, buffers hit ${top.Plan['Shared Hit Blocks']} read ${top.Plan['Shared Read Blocks']}, rows ${top.Plan['Actual Rows']} | ${s.indexes}`,
        );
      } catch (error) {
        await client.query('rollback').catch(() => {});
        // The bench dropped its schema: done.
        console.log(`${t}s ${(error as Error).message}`);
        if (/does not exist/.test((error as Error).message)) break;
      }
      await sleep(every * 1000);
    }
  } finally {
    await client.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
