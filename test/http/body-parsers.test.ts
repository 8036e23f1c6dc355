import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../src/http/body-parsers.js';
import { findNul } from '../../src/http/reject-nul.js';
import { createTestGateway, signed, transactionFields, type TestGateway } from '../helpers/gateway.js';
import { answerOf, createOrder, settleOrder } from './support.js';

/** Every endpoint that takes a body (the sandbox's only when SANDBOX is on, as in tests). */
const JSON_POSTS = ['/v2/transaction', '/refund', '/v2/refund', '/cancel', '/barcode', '/v2/barcode', '/sandbox/orders/1'];

function nestedArrays(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

function nestedObjects(depth: number, inner = '1'): string {
  return '{"a":'.repeat(depth) + inner + '}'.repeat(depth);
}

function post(gw: TestGateway, url: string, payload: string, contentType?: string): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'POST', url, payload, headers: contentType === undefined ? {} : { 'content-type': contentType } });
}

function assertAnswered207(response: LightMyRequestResponse, what: string): void {
  assert.equal(response.statusCode, 200, `${what}: ${response.statusCode} ${response.body.slice(0, 200)}`);
  const answer = answerOf(response);
  assert.equal(answer.code, 207, `${what}: ${response.body.slice(0, 200)}`);
  assert.equal(typeof answer.message, 'string');
}

describe('deeply nested request bodies', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(async () => {
    await gw.close();
  });

  test('10,000 nested arrays or objects answer 207 with HTTP 200 on every JSON endpoint, never a server error', async () => {
    for (const url of JSON_POSTS) {
      for (const payload of [nestedArrays(10_000), nestedObjects(10_000), `{"user_id":${nestedArrays(10_000)}}`]) {
        for (const contentType of ['application/json', 'application/json; charset=utf-8', undefined]) {
          assertAnswered207(await post(gw, url, payload, contentType), `POST ${url} ${contentType} ${payload.slice(0, 20)}`);
        }
      }
    }
  });

  test('the provider notification endpoint and the sandbox wallet form refuse them without a server error', async () => {
    // The provider's own answer to a notification it cannot read: the sandbox's is 400 "fail".
    const notify = await post(gw, '/channels/sandbox/notify', nestedArrays(10_000), 'application/json');
    assert.equal(notify.statusCode, 400);
    assert.equal(notify.body, 'fail');
    const wallet = await gw.app.inject({
      method: 'POST',
      url: '/sandbox/wallet/T1',
      payload: nestedObjects(10_000),
      headers: { 'content-type': 'application/json', accept: 'text/html' },
    });
    assert.equal(wallet.statusCode, 400);
    assert.match(String(wallet.headers['content-type']), /^text\/html/);
  });

  test(`a body nested ${MAX_JSON_DEPTH} levels still reaches the endpoint; one level more is refused before it`, async () => {
    // The refund endpoint answers its own 550 for a body it cannot use; the parser answers 207.
    const atLimit = nestedObjects(MAX_JSON_DEPTH);
    const overLimit = nestedObjects(MAX_JSON_DEPTH + 1);
    assert.equal(answerOf(await post(gw, '/refund', atLimit, 'application/json')).code, 550);
    assert.equal(answerOf(await post(gw, '/refund', overLimit, 'application/json')).code, 207);
    assert.equal(answerOf(await post(gw, '/refund', overLimit)).code, 207, 'without a content type too');
  });

  test('brackets inside strings do not count as nesting: a product name full of them creates the order', async () => {
    const fields = transactionFields(gw.merchant, { product_name: '[{'.repeat(60) + ' wine ' + '}]'.repeat(60) });
    const response = await post(gw, '/v2/transaction', JSON.stringify(signed(fields, gw.merchant.api_key)), 'application/json');
    assert.equal(answerOf(response).code, 0, response.body);
  });

  test('prototype-poisoning keys are refused with 207, with or without a content type, and pollute nothing', async () => {
    const fields = signed(transactionFields(gw.merchant), gw.merchant.api_key);
    const poisoned = [
      `{"__proto__":{"polluted":"yes"},${JSON.stringify(fields).slice(1)}`,
      `{"constructor":{"prototype":{"polluted":"yes"}},${JSON.stringify(fields).slice(1)}`,
      `{"a":{"b":{"__proto__":{"polluted":"yes"}}}}`,
    ];
    for (const payload of poisoned) {
      for (const contentType of ['application/json', undefined]) {
        assertAnswered207(await post(gw, '/v2/transaction', payload, contentType), `${contentType} ${payload.slice(0, 40)}`);
      }
    }
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('a NUL character nested inside a body is still found and refused', async () => {
    const payload = '{"a":'.repeat(20) + '"x\\u0000y"' + '}'.repeat(20);
    assertAnswered207(await post(gw, '/v2/transaction', payload, 'application/json'), 'nested NUL');
  });

  test('bodies without nesting still work as before: JSON, form and no content type', async () => {
    const order = await createOrder(gw);
    assert.equal((await settleOrder(gw, order.orderId, 'paid')).statusCode, 200);
    const form = new URLSearchParams(Object.entries(signed(transactionFields(gw.merchant), gw.merchant.api_key)).map(([k, v]) => [k, String(v)]));
    assert.equal(answerOf(await post(gw, '/v2/transaction', form.toString(), 'application/x-www-form-urlencoded')).code, 0);
    assert.equal(answerOf(await post(gw, '/v2/transaction', JSON.stringify(signed(transactionFields(gw.merchant), gw.merchant.api_key)))).code, 0);
  });
});

describe('nestsDeeperThan', () => {
  test('counts brackets outside strings only, escapes included', () => {
    assert.equal(nestsDeeperThan('[[[]]]', 3), false);
    assert.equal(nestsDeeperThan('[[[[]]]]', 3), true);
    assert.equal(nestsDeeperThan('{"a":{"b":{"c":1}}}', 3), false);
    assert.equal(nestsDeeperThan('{"a":{"b":{"c":{}}}}', 3), true);
    assert.equal(nestsDeeperThan('["[[[[[[", "\\"[[[[[["]', 1), false);
    assert.equal(nestsDeeperThan('["\\\\", [[]]]', 2), true, 'an escaped backslash ends before the quote');
    assert.equal(nestsDeeperThan(nestedArrays(1_000_000), 32), true);
  });
});

describe('findNul', () => {
  test('walks a million levels without overflowing the stack', () => {
    let deep: unknown = 'x\u0000';
    for (let i = 0; i < 1_000_000; i++) deep = [deep];
    assert.equal(findNul({ field: deep }), 'field');
    let clean: unknown = 'x';
    for (let i = 0; i < 1_000_000; i++) clean = { a: clean };
    assert.equal(findNul(clean), undefined);
  });

  test('names the top-level field that holds the NUL', () => {
    assert.equal(findNul({ a: 'ok', b: { c: ['fine', 'bad\u0000'] } }), 'b');
    assert.equal(findNul({ 'key\u0000': 'v' }), undefined, 'keys of forms and JSON are not values');
    assert.equal(findNul('top\u0000'), '');
  });
});
