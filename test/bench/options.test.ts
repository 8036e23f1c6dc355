import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBenchHelp, OptionError, parseBenchOptions, SCENARIOS } from '../../bench/options.js';

test('no options: every database, every scenario, the defaults', () => {
  const options = parseBenchOptions([]);
  assert.deepEqual(options.dbs, ['sqlite', 'postgres']);
  assert.equal(options.only, undefined);
  assert.equal(options.quick, false);
  assert.equal(options.duration, undefined);
  assert.equal(options.rounds, 2);
  assert.equal(options.processes, 1);
  assert.equal(options.retryCap, 1);
  assert.equal(options.longPolls, 10_000);
});

test("the quick form the project uses reads as it says", () => {
  const options = parseBenchOptions(['--quick', '--db=postgres', '--only=create,callback', '--duration=8', '--settle-rate=8000']);
  assert.equal(options.quick, true);
  assert.deepEqual(options.dbs, ['postgres']);
  assert.deepEqual(options.only, ['create', 'callback']);
  assert.equal(options.duration, 8);
  assert.equal(options.settleRate, 8000);
});

test('an unknown option is refused instead of starting the full bench', () => {
  assert.throws(() => parseBenchOptions(['--quik']), OptionError);
  assert.throws(() => parseBenchOptions(['quick']), OptionError);
  assert.throws(() => parseBenchOptions(['-q']), OptionError);
});

test('unknown scenarios, databases and load generators are refused', () => {
  assert.throws(() => parseBenchOptions(['--only=create,qeury']), /qeury/);
  assert.throws(() => parseBenchOptions(['--db=mysql']), /mysql/);
  assert.throws(() => parseBenchOptions(['--load=ab']), OptionError);
});

test('values are checked: whole numbers, present where needed, absent on flags, no repeats', () => {
  assert.throws(() => parseBenchOptions(['--duration=3.5']), OptionError);
  assert.throws(() => parseBenchOptions(['--duration=0']), OptionError);
  assert.throws(() => parseBenchOptions(['--rounds']), OptionError);
  assert.throws(() => parseBenchOptions(['--only=']), OptionError);
  assert.throws(() => parseBenchOptions(['--quick=yes']), OptionError);
  assert.throws(() => parseBenchOptions(['--db=sqlite', '--db=postgres']), OptionError);
  assert.equal(parseBenchOptions(['--processes=2']).processes, 2);
});

test('--help is an option, and its text names every option and scenario', () => {
  assert.equal(parseBenchOptions(['--help']).help, true);
  const help = formatBenchHelp();
  for (const name of ['--quick', '--db=', '--only=', '--duration=', '--rounds=', '--long-polls=', '--processes=']) assert.ok(help.includes(name), name);
  for (const scenario of SCENARIOS) assert.ok(help.includes(scenario), scenario);
});
