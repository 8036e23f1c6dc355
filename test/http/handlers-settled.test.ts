import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { createTestGateway } from '../helpers/gateway.js';

test('handlersSettled() waits for a handler still running, and is immediate when none is', async () => {
  const gw = await createTestGateway();
  try {
    const events: string[] = [];
    gw.app.get('/test-slow', async () => {
      await sleep(200);
      events.push('handler done');
      return { ok: true };
    });
    await gw.app.ready();
    await gw.app.handlersSettled();
    events.push('idle at start');
    const request = gw.app.inject({ method: 'GET', url: '/test-slow' });
    await sleep(20);
    await gw.app.handlersSettled();
    events.push('settled');
    assert.equal((await request).statusCode, 200);
    assert.deepEqual(events, ['idle at start', 'handler done', 'settled']);
  } finally {
    await gw.close();
  }
});
