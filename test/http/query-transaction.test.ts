import assert from 'node:assert/strict';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, type TestGateway } from '../helpers/gateway.js';
import { assignWallet, insertUser } from '../../src/store/merchants.js';
import { answerOf, createOrder, hmac, settleOrder, subscriptionTo, waitsOn } from './support.js';

const ANSWER_FIELDS = [
  'amount',
  'code',
  'currency',
  'merchant_reference',
  'message',
  'order_id',
  'pay_time',
  'payment_method',
  'signature',
  'status',
].sort();

/** Sorted signature of the query (spec §2.1) over the path's reference and the query's fields. */
function sortedQuerySignature(apiKey: string, fields: Record<string, string>, keepEmpty = false): string {
  const message =
    Object.keys(fields)
      .filter((k) => keepEmpty || fields[k] !== '')
      .sort()
      .map((k) => `${k}=${fields[k]}`)
      .join('&') + apiKey;
  return hmac(apiKey, message);
}

function query(gw: TestGateway, pathReference: string, params: Record<string, string>): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'GET', url: `/v2/transaction/${pathReference}?${new URLSearchParams(params).toString()}` });
}

/** A query signed the usual way (sorted over merchant_reference and user_id). */
function signedQuery(gw: TestGateway, reference: string, extra: Record<string, string> = {}, merchant = gw.merchant) {
  const signature = sortedQuerySignature(merchant.api_key, { merchant_reference: reference, user_id: merchant.user_id });
  return query(gw, encodeURIComponent(reference), { user_id: merchant.user_id, ...extra, signature });
}

function assertRejected(response: LightMyRequestResponse, code: number, field?: string): void {
  assert.equal(response.statusCode, 200, response.body);
  const answer = answerOf(response);
  assert.ok(Number.isInteger(answer.code), response.body);
  assert.equal(answer.code, code, response.body);
  assert.equal(answer.status, undefined);
  if (field !== undefined) assert.ok(answer.message.includes(field), `message names ${field}: ${answer.message}`);
}

/** Asserts a complete, correctly signed answer and returns it. */
function assertAnswer(response: LightMyRequestResponse, apiKey: string) {
  assert.equal(response.statusCode, 200, response.body);
  assert.match(String(response.headers['content-type']), /^application\/json/);
  const answer = answerOf(response);
  assert.equal(answer.code, 0, response.body);
  assert.deepEqual(Object.keys(answer).sort(), ANSWER_FIELDS);
  for (const field of ANSWER_FIELDS) if (field !== 'code') assert.equal(typeof answer[field], 'string', field);
  const { merchant_reference, payment_method, status, currency, amount } = answer as unknown as Record<string, string>;
  assert.equal(answer.signature, hmac(apiKey, merchant_reference + payment_method + status + currency + amount));
  return answer as unknown as Record<string, string> & { code: number };
}

describe('GET /v2/transaction/{merchant_reference}', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  describe('signature forms', () => {
    test('the spec vector: sorted over merchant_reference and user_id, then the paid answer signature', async () => {
      // The user of spec §2.4's vectors, with api_key 111222333, on the test merchant's wallet.
      const vector = { ...gw.merchant, user_id: 'U000000013', api_key: '111222333' };
      await insertUser(
        gw.store.db,
        { id: vector.user_id, organisation_id: gw.merchant.organisation_id, name: 'Vector user', api_key_sealed: gw.secrets.seal(vector.api_key), active: 1 },
        Date.now(),
      );
      await assignWallet(gw.store.db, gw.merchant.wallet_id, vector.user_id);
      const created = await createOrder(gw, { merchant_reference: '6000324' }, vector);

      const url = '/v2/transaction/6000324?user_id=U000000013&signature=58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4';
      const pending = assertAnswer(await gw.app.inject({ method: 'GET', url }), vector.api_key);
      assert.equal(pending.status, 'pending');
      assert.equal(pending.merchant_reference, '6000324');

      assert.equal(answerOf(await settleOrder(gw, created.orderId, 'paid')).code, 0);
      const paid = assertAnswer(await gw.app.inject({ method: 'GET', url }), vector.api_key);
      assert.equal(paid.status, 'paid');
      assert.equal(paid.amount, '120.00');
      assert.equal(paid.currency, 'NZD');
      assert.equal(paid.signature, '3149d48405bf8782b8b4ae816a91744c5eb6d4a0293f8bb9bc8f0d9f29fdfb40');
    });

    test('sorted over merchant_reference + user_id', async () => {
      const { reference } = await createOrder(gw);
      assertAnswer(await signedQuery(gw, reference), gw.merchant.api_key);
    });

    test('sorted including is_block, when the client signs it', async () => {
      const { reference } = await createOrder(gw);
      const signature = sortedQuerySignature(gw.merchant.api_key, { merchant_reference: reference, user_id: gw.merchant.user_id, is_block: '0' });
      assertAnswer(await query(gw, reference, { user_id: gw.merchant.user_id, is_block: '0', signature }), gw.merchant.api_key);
    });

    test('received order: the path reference, then the query in the order sent', async () => {
      const { reference } = await createOrder(gw);
      const message = `merchant_reference=${reference}&user_id=${gw.merchant.user_id}&is_block=0${gw.merchant.api_key}`;
      const sorted = sortedQuerySignature(gw.merchant.api_key, { merchant_reference: reference, user_id: gw.merchant.user_id, is_block: '0' });
      const signature = hmac(gw.merchant.api_key, message);
      assert.notEqual(signature, sorted, 'the test exercises a different message');
      assertAnswer(await query(gw, reference, { user_id: gw.merchant.user_id, is_block: '0', signature }), gw.merchant.api_key);
    });

    test('user_id first, then merchant_reference (the order of the docs\' cancel example)', async () => {
      const { reference } = await createOrder(gw);
      const signature = hmac(gw.merchant.api_key, `user_id=${gw.merchant.user_id}&merchant_reference=${reference}${gw.merchant.api_key}`);
      assertAnswer(await query(gw, reference, { user_id: gw.merchant.user_id, signature }), gw.merchant.api_key);
    });

    test('legacy HMAC(merchant_reference + user_id), no key appended', async () => {
      const { reference } = await createOrder(gw);
      const signature = hmac(gw.merchant.api_key, reference + gw.merchant.user_id);
      assertAnswer(await query(gw, reference, { user_id: gw.merchant.user_id, signature }), gw.merchant.api_key);
    });

    test('the Ruby client: sorted keeping empty values, reference CGI-escaped in the path', async () => {
      const reference = 'order 7 & co/é€ 订单+1';
      await createOrder(gw, { merchant_reference: reference });
      // CGI.escape: form encoding, a space becomes "+".
      const cgiEscaped = new URLSearchParams({ r: reference }).toString().slice(2);
      assert.ok(cgiEscaped.includes('+') && cgiEscaped.includes('%26'), cgiEscaped);
      const fields = { merchant_reference: reference, user_id: gw.merchant.user_id, reference: '' };
      const signature = sortedQuerySignature(gw.merchant.api_key, fields, true);
      const response = await query(gw, cgiEscaped, { user_id: gw.merchant.user_id, reference: '', signature });
      const answer = assertAnswer(response, gw.merchant.api_key);
      assert.equal(answer.merchant_reference, reference);
    });

    test('a reference percent-encoded with %20 and a literal "+" is read as sent', async () => {
      const reference = 'a+b c';
      await createOrder(gw, { merchant_reference: reference });
      const answer = assertAnswer(await signedQuery(gw, reference), gw.merchant.api_key);
      assert.equal(answer.merchant_reference, reference);
    });
  });

  describe('answers', () => {
    test('exactly the flat fields, amount as a 2-decimal string, pending then paid after settlement', async () => {
      const created = await createOrder(gw, { amount: '120' });
      const pending = assertAnswer(await signedQuery(gw, created.reference), gw.merchant.api_key);
      assert.equal(pending.message, 'SUCCESS');
      assert.equal(pending.merchant_reference, created.reference);
      assert.equal(pending.order_id, created.orderId);
      // Latipay's form (spec §1): the wire-zone date, then digits; 19 in all, within a BIGINT.
      const wireDate = new Date(Date.now() + gw.config.timeZoneOffsetMinutes * 60_000).toISOString().slice(0, 10).replaceAll('-', '');
      assert.match(String(pending.order_id), new RegExp(`^${wireDate}\\d{11}$`));
      assert.ok(BigInt(String(pending.order_id)) < 2n ** 63n);
      assert.equal(pending.currency, 'NZD');
      assert.equal(pending.amount, '120.00');
      assert.equal(pending.payment_method, 'alipay');
      assert.equal(pending.status, 'pending');
      assert.equal(pending.pay_time, '');

      assert.equal(answerOf(await settleOrder(gw, created.orderId, 'paid')).code, 0);
      const paid = assertAnswer(await signedQuery(gw, created.reference), gw.merchant.api_key);
      assert.equal(paid.status, 'paid');
      assert.match(paid.pay_time, /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$/);
      assert.notEqual(paid.signature, pending.signature);
    });

    test('a failed order answers status failed', async () => {
      const created = await createOrder(gw, { payment_method: 'wechat' });
      assert.equal(answerOf(await settleOrder(gw, created.orderId, 'failed')).code, 0);
      const failed = assertAnswer(await signedQuery(gw, created.reference), gw.merchant.api_key);
      assert.equal(failed.status, 'failed');
      assert.equal(failed.payment_method, 'wechat');
    });

    test('a trailing slash is tolerated', async () => {
      const { reference } = await createOrder(gw);
      const signature = sortedQuerySignature(gw.merchant.api_key, { merchant_reference: reference, user_id: gw.merchant.user_id });
      const response = await gw.app.inject({ method: 'GET', url: `/v2/transaction/${reference}/?user_id=${gw.merchant.user_id}&signature=${signature}` });
      assertAnswer(response, gw.merchant.api_key);
    });
  });

  describe('errors', () => {
    test('201 for an unknown reference', async () => {
      assertRejected(await signedQuery(gw, 'no-such-reference'), 201, 'no-such-reference');
    });

    test("201 for another user's reference, even correctly signed by that other user", async () => {
      const { reference } = await createOrder(gw);
      const other = await gw.addMerchant({ name: 'Nosy Shop' });
      assertRejected(await signedQuery(gw, reference, {}, other), 201);
    });

    test('204 when user_id is missing', async () => {
      const { reference } = await createOrder(gw);
      assertRejected(await query(gw, reference, { signature: hmac(gw.merchant.api_key, reference) }), 204, 'user_id');
    });

    test('204 when signature is missing or empty', async () => {
      const { reference } = await createOrder(gw);
      assertRejected(await query(gw, reference, { user_id: gw.merchant.user_id }), 204, 'signature');
      assertRejected(await query(gw, reference, { user_id: gw.merchant.user_id, signature: '' }), 204, 'signature');
    });

    test('205 for an unknown user', async () => {
      const { reference } = await createOrder(gw);
      assertRejected(await query(gw, reference, { user_id: 'U999999999', signature: hmac('x', reference) }), 205, 'user_id');
    });

    test('205 for a disabled user', async () => {
      const disabled = await gw.addMerchant({ name: 'Disabled Shop' });
      await gw.store.db.updateTable('users').set({ active: 0 }).where('id', '=', disabled.user_id).execute();
      assertRejected(await signedQuery(gw, 'any-reference', {}, disabled), 205, 'user_id');
    });

    test('206 for a wrong signature', async () => {
      const { reference } = await createOrder(gw);
      const wrong = sortedQuerySignature('not-the-key', { merchant_reference: reference, user_id: gw.merchant.user_id });
      assertRejected(await query(gw, reference, { user_id: gw.merchant.user_id, signature: wrong }), 206);
      // A signature for another reference does not open this one.
      const forOther = sortedQuerySignature(gw.merchant.api_key, { merchant_reference: 'other', user_id: gw.merchant.user_id });
      assertRejected(await query(gw, reference, { user_id: gw.merchant.user_id, signature: forOther }), 206);
      // A signature over the query alone (no reference) would open every order of the user.
      const queryOnly = hmac(gw.merchant.api_key, `user_id=${gw.merchant.user_id}${gw.merchant.api_key}`);
      assertRejected(await query(gw, reference, { user_id: gw.merchant.user_id, signature: queryOnly }), 206);
    });

    test('207 for is_block=7', async () => {
      const { reference } = await createOrder(gw);
      assertRejected(await signedQuery(gw, reference, { is_block: '7' }), 207, 'is_block');
    });

    test('207 for a NUL character in user_id or in the reference', async () => {
      assertRejected(await query(gw, 'ref', { user_id: 'U\u0000', signature: 'x' }), 207, 'user_id');
      const reference = 'a\u0000b';
      assertRejected(await signedQuery(gw, reference), 207, 'merchant_reference');
    });

    test('207 for a repeated query parameter', async () => {
      const { reference } = await createOrder(gw);
      const response = await gw.app.inject({
        method: 'GET',
        url: `/v2/transaction/${reference}?user_id=${gw.merchant.user_id}&user_id=U2&signature=x`,
      });
      assertRejected(response, 207);
    });
  });
});

describe('GET /v2/transaction/{merchant_reference}?is_block=1 (long-poll)', () => {
  test('a pending order answers pending when LONG_POLL_SECONDS pass', async () => {
    const gw = await createTestGateway({ env: { LONG_POLL_SECONDS: '1' } });
    try {
      const { reference } = await createOrder(gw);
      const answer = assertAnswer(await signedQuery(gw, reference, { is_block: '1' }), gw.merchant.api_key);
      assert.equal(answer.status, 'pending');
    } finally {
      await gw.close();
    }
  });

  test('answers paid as soon as the order is settled while it waits', async () => {
    // With 30 s to wait, only the wake-up can make this answer "paid".
    const gw = await createTestGateway({ env: { LONG_POLL_SECONDS: '30' } });
    try {
      const created = await createOrder(gw);
      const waiting = subscriptionTo(gw, created.orderId);
      const pending = signedQuery(gw, created.reference, { is_block: '1' });
      await waiting;
      assert.equal(answerOf(await settleOrder(gw, created.orderId, 'paid')).code, 0);
      const answer = assertAnswer(await pending, gw.merchant.api_key);
      assert.equal(answer.status, 'paid');
    } finally {
      await gw.close();
    }
  });

  test('an order that is already final answers at once', async () => {
    const gw = await createTestGateway({ env: { LONG_POLL_SECONDS: '30' } });
    try {
      const created = await createOrder(gw);
      assert.equal(answerOf(await settleOrder(gw, created.orderId, 'failed')).code, 0);
      const answer = assertAnswer(await signedQuery(gw, created.reference, { is_block: '1' }), gw.merchant.api_key);
      assert.equal(answer.status, 'failed');
    } finally {
      await gw.close();
    }
  });

  test('settling another order does not end the wait for this one', async () => {
    const gw = await createTestGateway({ env: { LONG_POLL_SECONDS: '1' } });
    try {
      const mine = await createOrder(gw);
      const theirs = await createOrder(gw);
      const waiting = subscriptionTo(gw, mine.orderId);
      const pending = signedQuery(gw, mine.reference, { is_block: '1' });
      await waiting;
      assert.equal(answerOf(await settleOrder(gw, theirs.orderId, 'paid')).code, 0);
      const answer = assertAnswer(await pending, gw.merchant.api_key);
      assert.equal(answer.status, 'pending');
      assert.equal(answer.order_id, mine.orderId);
    } finally {
      await gw.close();
    }
  });
});

describe('a long-poll whose client goes away', () => {
  /** Opens an is_block=1 query on a real socket; the socket is returned to be destroyed. */
  function openLongPoll(port: number, gw: TestGateway, reference: string): Socket {
    const signature = sortedQuerySignature(gw.merchant.api_key, { merchant_reference: reference, user_id: gw.merchant.user_id });
    const socket = connect({ port, host: '127.0.0.1' });
    socket.on('error', () => {});
    socket.write(`GET /v2/transaction/${encodeURIComponent(reference)}?user_id=${gw.merchant.user_id}&is_block=1&signature=${signature} HTTP/1.1\r\nHost: gateway.test\r\n\r\n`);
    return socket;
  }

  async function until(condition: () => boolean): Promise<void> {
    while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
  }

  test('stops waiting: no waiter, subscription or slot is left after many closed long-polls', { timeout: 30_000 }, async () => {
    const held = 10;
    const gw = await createTestGateway({ env: { LONG_POLLS_PER_USER: String(held), LONG_POLL_SECONDS: '30' } });
    try {
      await gw.app.listen({ port: 0, host: '127.0.0.1' });
      const port = (gw.app.server.address() as AddressInfo).port;
      const waiters = gw.app.gateway.orderWaiters;
      const orders = await Promise.all(Array.from({ length: held }, () => createOrder(gw)));
      // Three rounds of the limit's worth: a slot or a waiter kept by a closed one would refuse or leak.
      for (let round = 0; round < 3; round++) {
        const waiting = waitsOn(gw, Object.fromEntries(orders.map((o) => [o.orderId, 1])));
        const sockets = orders.map((o) => openLongPoll(port, gw, o.reference));
        await waiting;
        assert.equal(waiters.size, held);
        assert.equal(waiters.orders, held);
        for (const socket of sockets) socket.destroy();
        await until(() => waiters.size === 0);
        assert.equal(waiters.orders, 0);
      }
      // The slots are free: a long-poll still waits, and gets the change.
      const [order] = orders;
      const waiting = waitsOn(gw, { [order.orderId]: 1 });
      const pending = signedQuery(gw, order.reference, { is_block: '1' });
      await waiting;
      assert.equal(answerOf(await settleOrder(gw, order.orderId, 'paid')).code, 0);
      assert.equal(assertAnswer(await pending, gw.merchant.api_key).status, 'paid');
      assert.equal(waiters.size, 0);
    } finally {
      await gw.close();
    }
  });
});

describe('LONG_POLLS_PER_USER: long-polls one user may hold waiting', () => {
  /** The warnings written to the log, one parsed line each. */
  function logLines(): { stream: { write(line: string): void }; warnings(): Array<Record<string, unknown>> } {
    const lines: Array<Record<string, unknown>> = [];
    return {
      stream: { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) },
      warnings: () => lines.filter((line) => line.level === 40),
    };
  }

  test('past the limit a long-poll answers at once with the current state; the ones waiting still get the change', { timeout: 20_000 }, async () => {
    let skew = 0;
    const log = logLines();
    const gw = await createTestGateway({
      env: { LONG_POLLS_PER_USER: '2', LONG_POLL_SECONDS: '30', LOG_LEVEL: 'warn' },
      clock: () => Date.now() + skew,
      logDestination: log.stream,
    });
    try {
      const created = await createOrder(gw);
      const waiting = waitsOn(gw, { [created.orderId]: 2 });
      let settledFirst = false;
      const first = signedQuery(gw, created.reference, { is_block: '1' }).then((response) => ((settledFirst = true), response));
      const second = signedQuery(gw, created.reference, { is_block: '1' });
      await waiting;
      // The third and fourth do not wait: with 30 s to wait, only the limit answers them now.
      for (let i = 0; i < 2; i++) {
        const answer = assertAnswer(await signedQuery(gw, created.reference, { is_block: '1' }), gw.merchant.api_key);
        assert.equal(answer.status, 'pending');
      }
      assert.equal(settledFirst, false, 'the first long-poll is still waiting');
      // Warned once, naming the user, however many were refused within the minute…
      assert.equal(log.warnings().length, 1, JSON.stringify(log.warnings()));
      assert.equal(log.warnings()[0].user_id, gw.merchant.user_id);
      // …and again a minute later.
      skew = 61_000;
      assertAnswer(await signedQuery(gw, created.reference, { is_block: '1' }), gw.merchant.api_key);
      assert.equal(log.warnings().length, 2);

      assert.equal(answerOf(await settleOrder(gw, created.orderId, 'paid')).code, 0);
      assert.equal(assertAnswer(await first, gw.merchant.api_key).status, 'paid');
      assert.equal(assertAnswer(await second, gw.merchant.api_key).status, 'paid');

      // Their slots are free again: a new long-poll waits (and gets the change).
      const next = await createOrder(gw);
      const nextWaiting = waitsOn(gw, { [next.orderId]: 1 });
      const third = signedQuery(gw, next.reference, { is_block: '1' });
      await nextWaiting;
      assert.equal(answerOf(await settleOrder(gw, next.orderId, 'failed')).code, 0);
      assert.equal(assertAnswer(await third, gw.merchant.api_key).status, 'failed');
    } finally {
      await gw.close();
    }
  });

  test('the limit is per user: with one user at its limit, another user\'s long-poll still waits', { timeout: 20_000 }, async () => {
    const gw = await createTestGateway({ env: { LONG_POLLS_PER_USER: '1', LONG_POLL_SECONDS: '30' } });
    try {
      const other = await gw.addMerchant({ name: 'Other Shop' });
      const mine = await createOrder(gw);
      const theirs = await createOrder(gw, {}, other);
      const waiting = waitsOn(gw, { [mine.orderId]: 1, [theirs.orderId]: 1 });
      const minePending = signedQuery(gw, mine.reference, { is_block: '1' });
      const theirsPending = signedQuery(gw, theirs.reference, { is_block: '1' }, other);
      await waiting;
      assert.equal(answerOf(await settleOrder(gw, mine.orderId, 'paid')).code, 0);
      assert.equal(answerOf(await settleOrder(gw, theirs.orderId, 'paid')).code, 0);
      assert.equal(assertAnswer(await minePending, gw.merchant.api_key).status, 'paid');
      assert.equal(assertAnswer(await theirsPending, other.api_key).status, 'paid');
    } finally {
      await gw.close();
    }
  });
});
