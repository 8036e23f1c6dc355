import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import pino from 'pino';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';

/** Collects the gateway's log lines (JSON) so a test can read what was logged. */
function capturingLogger() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level: 'warn' }, stream), lines };
}

describe('limits on failed authentication', () => {
  let gw: TestGateway;
  let log: ReturnType<typeof capturingLogger>;
  before(async () => {
    log = capturingLogger();
    gw = await createTestGateway({
      env: { AUTH_FAILURES_PER_ADDRESS: '5', AUTH_FAILURES_PER_USER: '8', AUTH_FAILURE_WINDOW_SECONDS: '60', AUTH_BLOCK_SECONDS: '120' },
      logger: log.logger,
    });
  });
  after(async () => {
    await gw.close();
  });

  const create = (merchant: CreatedMerchant, address: string, key = merchant.api_key) =>
    gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: signed(transactionFields(merchant), key), remoteAddress: address });
  const wrongKey = 'f'.repeat(32);

  test('past the limit an address is answered 429 for that user_id; the merchant elsewhere and other merchants there are not', async () => {
    const merchant = await gw.addMerchant({ name: 'Targeted Shop' });
    const neighbour = await gw.addMerchant({ name: 'Neighbour Shop' });
    for (let i = 0; i < 5; i++) {
      const answer = await create(merchant, '198.51.100.7', wrongKey);
      assert.equal(answer.statusCode, 200);
      assert.equal(answer.json().code, 206, `failure ${i + 1} is an ordinary 206`);
    }
    const refused = await create(merchant, '198.51.100.7', wrongKey);
    assert.equal(refused.statusCode, 429);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 120, `Retry-After ${refused.headers['retry-after']}`);
    assert.equal(refused.json().code, 429);
    assert.equal(typeof refused.json().message, 'string');

    // Now refused before verification, valid or not.
    assert.equal((await create(merchant, '198.51.100.7')).statusCode, 429);
    // The same merchant from its own server, and another merchant behind the attacker's address, go on.
    assert.equal((await create(merchant, '203.0.113.20')).json().code, 0);
    assert.equal((await create(neighbour, '198.51.100.7')).json().code, 0);
  });

  test('a flood in a merchant’s name from many addresses is answered 429 without locking the merchant out', async () => {
    const merchant = await gw.addMerchant({ name: 'Famous Shop' });
    for (let i = 0; i < 8; i++) assert.equal((await create(merchant, `192.0.2.${i + 1}`, wrongKey)).json().code, 206);
    const flooded = await create(merchant, '192.0.2.100', wrongKey);
    assert.equal(flooded.statusCode, 429);
    assert.ok(Number(flooded.headers['retry-after']) > 0);
    // The merchant's valid requests pass, from an address of the flood too.
    assert.equal((await create(merchant, '192.0.2.101')).json().code, 0);
    assert.equal((await create(merchant, '192.0.2.1')).json().code, 0);
  });

  test('unknown users count against the address too', async () => {
    const ghost = { ...gw.merchant, user_id: 'U000000000' };
    for (let i = 0; i < 5; i++) assert.equal((await create(ghost, '198.51.100.99')).json().code, 205);
    assert.equal((await create(ghost, '198.51.100.99')).statusCode, 429);
  });

  test('every failed authentication is logged at warn with user_id and address, never a key or signature', async () => {
    const merchant = await gw.addMerchant({ name: 'Logged Shop' });
    const before = log.lines.length;
    const body = signed(transactionFields(merchant), wrongKey);
    await gw.app.inject({ method: 'POST', url: '/v2/transaction', payload: body, remoteAddress: '203.0.113.77' });
    const logged = log.lines.slice(before).filter((l) => l.msg === 'failed authentication');
    assert.equal(logged.length, 1);
    assert.equal(logged[0].level, 40, 'warn');
    assert.equal(logged[0].userId, merchant.user_id);
    assert.equal(logged[0].address, '203.0.113.77');
    assert.equal(logged[0].reason, 'bad signature');
    const text = JSON.stringify(log.lines);
    assert.ok(!text.includes(merchant.api_key) && !text.includes(wrongKey) && !text.includes(String(body.signature)), 'no secret in the log');
  });

  test('X-Forwarded-For does not choose the address unless TRUST_PROXY names the proxy', async () => {
    const merchant = await gw.addMerchant({ name: 'Proxied Shop' });
    // Six failures, each claiming another forwarded address: all count against the one socket address.
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) {
      const answer = await gw.app.inject({
        method: 'POST',
        url: '/v2/transaction',
        payload: signed(transactionFields(merchant), wrongKey),
        remoteAddress: '198.51.100.200',
        headers: { 'x-forwarded-for': `203.0.113.${i + 1}` },
      });
      statuses.push(answer.statusCode);
    }
    assert.deepEqual(statuses, [200, 200, 200, 200, 200, 429]);
    assert.equal((await create(merchant, '198.51.100.200')).statusCode, 429);
  });
});
