import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CountLimit } from '../../src/http/count-limit.js';

test('a key holds at most max slots; a released slot can be taken again', () => {
  const limit = new CountLimit(2);
  const a1 = limit.take('a');
  const a2 = limit.take('a');
  assert.ok(a1 && a2);
  assert.equal(limit.take('a'), undefined);
  assert.ok(limit.take('b'), 'other keys are counted apart');
  a1();
  assert.equal(limit.held('a'), 1);
  assert.ok(limit.take('a'));
});

test('releasing twice gives back one slot, and a key with none held is forgotten', () => {
  const limit = new CountLimit(1);
  const release = limit.take('a');
  assert.ok(release);
  release();
  release();
  assert.equal(limit.held('a'), 0);
  assert.equal(limit.keys, 0);
  const again = limit.take('a');
  assert.ok(again);
  assert.equal(limit.take('a'), undefined, 'the double release did not free a second slot');
});
