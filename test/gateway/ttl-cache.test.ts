import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TtlCache } from '../../src/gateway/ttl-cache.js';

test('TtlCache loads once within the TTL, misses included, and again after it', async () => {
  const cache = new TtlCache<string | undefined>(50);
  let loads = 0;
  const load = async () => (loads++, loads === 1 ? undefined : 'found');
  assert.equal(await cache.get('k', load), undefined);
  assert.equal(await cache.get('k', load), undefined, 'a miss is remembered too');
  assert.equal(loads, 1);
  await new Promise((resolve) => setTimeout(resolve, 70));
  assert.equal(await cache.get('k', load), 'found');
  assert.equal(loads, 2);
  cache.delete('k');
  await cache.get('k', load);
  assert.equal(loads, 3, 'delete forgets the key');
});

test('TtlCache: the callers that miss one key while it loads share that one load', async () => {
  const cache = new TtlCache<number>(10_000);
  let loads = 0;
  let finish: (value: number) => void = () => {};
  const load = () => {
    loads++;
    return new Promise<number>((resolve) => (finish = resolve));
  };
  const waiting = Array.from({ length: 50 }, () => cache.get('wallet', load));
  const other = cache.get('other wallet', async () => 7);
  assert.equal(loads, 1, 'one load for fifty misses of one key');
  finish(42);
  assert.deepEqual(await Promise.all(waiting), Array(50).fill(42));
  assert.equal(await other, 7, 'another key loads on its own');
  assert.equal(await cache.get('wallet', load), 42);
  assert.equal(loads, 1, 'then the value is remembered');
});

test('TtlCache: a load that fails is not remembered; one dropped by delete() is not stored', async () => {
  const cache = new TtlCache<string>(10_000);
  await assert.rejects(cache.get('k', async () => Promise.reject(new Error('database gone'))), /database gone/);
  assert.equal(await cache.get('k', async () => 'after'), 'after', 'the next get loads again');

  let finishOld: (value: string) => void = () => {};
  const old = cache.get('changed', () => new Promise<string>((resolve) => (finishOld = resolve)));
  cache.delete('changed'); // the row changed while it was being read
  const fresh = cache.get('changed', async () => 'new');
  finishOld('old');
  assert.equal(await old, 'old', 'the caller of the dropped load still gets its answer');
  assert.equal(await fresh, 'new');
  assert.equal(await cache.get('changed', async () => 'not read'), 'new', 'the dropped load did not overwrite the fresh value');
});
