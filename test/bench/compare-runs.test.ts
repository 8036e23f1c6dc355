import { test } from 'node:test';
import assert from 'node:assert/strict';
import { comparePairs, formatComparisons, median, medianRun, type RunFigures } from '../../bench/compare-runs.js';

const run = (requestsPerSecond: number, p99: number, errors = 0): RunFigures => ({
  requests: requestsPerSecond * 3,
  requestsPerSecond,
  latencyMs: { p50: p99 / 4, p99, p99_9: p99 * 1.5, max: p99 * 2 },
  non2xx: 0,
  errors,
  timeouts: 0,
  badCodes: 0,
  durationSeconds: 3,
});

test('median of odd and even counts', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.ok(Number.isNaN(median([])));
});

test('the median run takes the median rate and percentiles and sums the counts', () => {
  const m = medianRun([run(100, 10, 1), run(300, 30, 2), run(200, 50)]);
  assert.equal(m.requestsPerSecond, 200);
  assert.equal(m.latencyMs.p99, 30);
  assert.equal(m.latencyMs.max, 100);
  assert.equal(m.errors, 3);
  assert.equal(m.requests, 1800);
});

test('the ratio is gateway ÷ ceiling within each pair, then their median', () => {
  const c = comparePairs('sqlite', 'create transaction', [run(600, 20), run(900, 30), run(400, 25)], [run(1000, 40), run(1000, 40), run(500, 40)]);
  assert.deepEqual(c.pairRatios, [0.6, 0.9, 0.8]);
  assert.equal(c.ratio, 0.8);
  assert.equal(c.gateway.requestsPerSecond, 600);
  assert.equal(c.ceiling.requestsPerSecond, 1000);
  assert.equal(c.p99WithinCeiling, true);
});

test("a gateway p99 over the ceiling's median p99 is reported as such", () => {
  const c = comparePairs('postgres', 'query transaction', [run(900, 12)], [run(1000, 10)]);
  assert.equal(c.p99WithinCeiling, false);
  assert.equal(c.ratio, 0.9);
});

test('runs must come in pairs', () => {
  assert.throws(() => comparePairs('sqlite', 'create', [run(1, 1)], []));
  assert.throws(() => comparePairs('sqlite', 'create', [], []));
});

test('the printed table has the absolute figures, the ratio and the p99 verdict per scenario', () => {
  const table = formatComparisons([comparePairs('sqlite', 'create transaction', [run(12_000, 9.5, 2)], [run(20_000, 14)])]);
  const [header, rule, line] = table.split('\n');
  assert.match(header, /gateway \/ ceiling/);
  assert.match(rule, /^\|[-:|]+\|$/);
  for (const cell of ['12,000', '20,000', '9.5', '14', '0.60', 'yes', '2/0']) assert.ok(line.includes(cell), cell);
});

test('CPU per request: the median of each side, in the table when both sides have it', () => {
  const withCpu = (r: RunFigures, cpuMicrosPerRequest: number): RunFigures => ({ ...r, cpuMicrosPerRequest });
  const c = comparePairs(
    'sqlite',
    'create transaction',
    [withCpu(run(600, 20), 50), withCpu(run(900, 30), 40), withCpu(run(700, 25), 44)],
    [withCpu(run(1000, 40), 30), withCpu(run(1000, 40), 28), withCpu(run(1000, 40), 29)],
  );
  assert.equal(c.gateway.cpuMicrosPerRequest, 44);
  assert.equal(c.ceiling.cpuMicrosPerRequest, 29);
  assert.ok(formatComparisons([c]).split('\n')[2].includes('44/29'));
  // A side measured without it (an old results file) shows a dash, not a made-up figure.
  const without = comparePairs('sqlite', 'create transaction', [run(600, 20)], [withCpu(run(1000, 40), 30)]);
  assert.equal(without.gateway.cpuMicrosPerRequest, undefined);
  assert.ok(formatComparisons([without]).split('\n')[2].includes('-/30'));
  assert.ok(!formatComparisons([c]).includes('+PG'), 'no database figure where none was measured');
});

test("PostgreSQL's CPU per request: the median of each side, beside the server's", () => {
  const withCpu = (r: RunFigures, cpu: number, database: number): RunFigures => ({ ...r, cpuMicrosPerRequest: cpu, databaseCpuMicrosPerRequest: database });
  const c = comparePairs(
    'postgres',
    'query transaction',
    [withCpu(run(600, 20), 50, 31), withCpu(run(900, 30), 40, 35), withCpu(run(700, 25), 44, 33)],
    [withCpu(run(1000, 40), 30, 20), withCpu(run(1000, 40), 28, 22), withCpu(run(1000, 40), 29, 21)],
  );
  assert.equal(c.gateway.databaseCpuMicrosPerRequest, 33);
  assert.equal(c.ceiling.databaseCpuMicrosPerRequest, 21);
  assert.ok(formatComparisons([c]).split('\n')[2].includes('44/29 (+PG 33/21)'));
});
