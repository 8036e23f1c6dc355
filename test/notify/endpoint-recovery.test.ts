import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EndpointRecovery } from '../../src/notify/endpoint-recovery.js';

/** An EndpointRecovery whose pulls are recorded and answered by hand. */
function recovery(batch = 10) {
  const pulls: Array<{ endpoint: string; limit: number; answer: (count: number) => void; fail: (error: Error) => void }> = [];
  const pulled: Array<[string, number]> = [];
  const errors: string[] = [];
  const r = new EndpointRecovery({
    batch,
    pull: (endpoint, limit) => new Promise<number>((resolve, reject) => pulls.push({ endpoint, limit, answer: resolve, fail: reject })),
    onPulled: (endpoint, count) => pulled.push([endpoint, count]),
    onError: (error, endpoint) => errors.push(`${endpoint}: ${(error as Error).message}`),
  });
  return { r, pulls, pulled, errors };
}

const A = 'https://a.example';
const B = 'https://b.example';

test('an endpoint that never failed costs nothing: no pull, no state', () => {
  const { r, pulls } = recovery();
  for (let i = 0; i < 100; i++) r.noteDelivery(A, false, 1_000 + i);
  assert.equal(pulls.length, 0);
  assert.equal(r.size, 0);
});

test('the first delivery after failures pulls that endpoint, and only it, at most one pull at a time', async () => {
  const { r, pulls, pulled } = recovery();
  r.noteFailure(A, 1_000);
  r.noteFailure(B, 1_000);
  r.noteDelivery(A, false, 2_000);
  r.noteDelivery(A, false, 2_001);
  r.noteDelivery(A, true, 2_002);
  assert.deepEqual(pulls.map((p) => [p.endpoint, p.limit]), [[A, 10]]);
  pulls[0].answer(3);
  await r.settle();
  assert.deepEqual(pulled, [[A, 3]]);
});

test('a delivery of a callback that had failed pulls its endpoint even when this process saw no failure (another did)', async () => {
  const { r, pulls } = recovery();
  r.noteDelivery(A, true, 5_000);
  assert.deepEqual(pulls.map((p) => p.endpoint), [A]);
  pulls[0].answer(0);
  await r.settle();
});

test('after a partial batch, at most one pull a second; after a full one, the next as soon as half of it was delivered', async () => {
  const { r, pulls } = recovery(10);
  r.noteFailure(A, 0);
  r.noteDelivery(A, false, 1_000);
  pulls[0].answer(4); // all that was waiting
  await r.settle();
  r.noteFailure(A, 1_100); // a pulled callback that failed anyway
  for (let t = 1_200; t < 2_000; t += 100) r.noteDelivery(A, true, t);
  assert.equal(pulls.length, 1, 'not again within the second');
  r.noteDelivery(A, true, 2_000);
  assert.equal(pulls.length, 2);
  pulls[1].answer(10); // a full batch: more may be waiting
  await r.settle();
  for (let i = 0; i < 4; i++) r.noteDelivery(A, true, 2_010 + i);
  assert.equal(pulls.length, 2, 'fewer than half of the batch delivered');
  r.noteDelivery(A, true, 2_014);
  assert.equal(pulls.length, 3, 'half of the batch delivered: the next batch, within the same second');
  pulls[2].answer(10);
  await r.settle();
  // The pulled callbacks fail (the merchant went down again): no delivery, no refill.
  for (let i = 0; i < 20; i++) r.noteFailure(A, 2_100 + i);
  assert.equal(pulls.length, 3);
});

test('a pull that fails is reported, and the endpoint is tried again on a later delivery', async () => {
  const { r, pulls, errors } = recovery();
  r.noteFailure(A, 0);
  r.noteDelivery(A, false, 1_000);
  pulls[0].fail(new Error('connection reset'));
  await r.settle();
  assert.deepEqual(errors, [`${A}: connection reset`]);
  r.noteDelivery(A, true, 2_500);
  assert.equal(pulls.length, 2);
  pulls[1].answer(0);
  await r.settle();
});

test('endpoints not heard of for a minute are forgotten once a thousand are kept', () => {
  const { r } = recovery();
  for (let i = 0; i < 1_024; i++) r.noteFailure(`https://m${i}.example`, 0);
  assert.equal(r.size, 1_024);
  r.noteFailure(B, 120_000);
  assert.equal(r.size, 1);
});

test('with nothing due, an endpoint whose last pull was full is pulled again, unless one of its attempts failed since', async () => {
  const { r, pulls } = recovery(10);
  r.noteFailure(A, 0);
  r.noteFailure(B, 0);
  r.noteDelivery(A, false, 1_000);
  r.noteDelivery(B, false, 1_000);
  pulls[0].answer(10);
  pulls[1].answer(10);
  await r.settle();
  r.noteFailure(B, 1_010); // B is down again
  r.noteIdle(1_020);
  assert.deepEqual(pulls.map((p) => p.endpoint), [A, B, A]);
  r.noteIdle(1_021);
  assert.equal(pulls.length, 3, 'one pull at a time');
  pulls[2].answer(6); // the last of them
  await r.settle();
  r.noteIdle(1_030);
  assert.equal(pulls.length, 3, 'nothing more waiting');
});
