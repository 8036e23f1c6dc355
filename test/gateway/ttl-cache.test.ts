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
