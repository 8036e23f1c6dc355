import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { findOrderById } from '../../src/store/orders.js';
import { countOrders } from './support.js';

/**
 * Whatever values a correctly signed mini program request carries, the gateway answers
 * HTTP 200 with an integer code (never a server error), and a refusal leaves no order.
 */

const RUNS = 150;

const value = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: fc.constantFrom('%', '&', '=', '\n', ' ', '/', 'é', '1', '.', '-', 'w', 'x', 'o'), maxLength: 40 }),
  fc.constantFrom('', '0', '-1', '1e3', '12.345', '120.00', '0.01', '2.0', 'alipay', 'wechat', 'https://merchant.example/n', '122.122.122.1', 'wx721398712681232'),
  fc.integer({ min: -5, max: 100_000 }),
  fc.double({ noNaN: false }),
  fc.boolean(),
  fc.constant(null),
);

const ENDPOINTS = {
  '/v2/miniapppay': ['amount', 'notify_url', 'merchant_reference', 'product_name', 'app_id', 'open_id'],
  '/v2/minialipay': ['amount', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name', 'payment_method'],
} as const;

describe('mini program endpoints under random signed input', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await createTestGateway();
  });
  after(() => gw.close());

  for (const [url, names] of Object.entries(ENDPOINTS)) {
    test(`POST ${url}: every answer is HTTP 200 with an integer code; a refusal creates no order`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.dictionary(fc.constantFrom(...names), value, { maxKeys: names.length }), async (fields) => {
          const before = await countOrders(gw);
          const body = signed({ user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id, ...fields }, gw.merchant.api_key);
          const response = await gw.app.inject({ method: 'POST', url, payload: body });
          assert.equal(response.statusCode, 200, response.body);
          const answer = response.json() as { code: unknown; message: unknown; paydata?: { order_id?: string; orderId?: string } };
          assert.ok(Number.isInteger(answer.code), response.body);
          assert.equal(typeof answer.message, 'string');
          if (answer.code === 0) {
            // A new order, or the same one again (a repeated request).
            const orderId = answer.paydata?.order_id ?? answer.paydata?.orderId;
            assert.ok(orderId && (await findOrderById(gw.store.db, orderId)), response.body);
          } else {
            assert.equal(await countOrders(gw), before, response.body);
          }
        }),
        { numRuns: RUNS },
      );
    });
  }
});
