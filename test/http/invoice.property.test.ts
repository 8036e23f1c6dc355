import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse } from 'fastify';
import { createTestGateway, signed, type TestGateway } from '../helpers/gateway.js';
import { createInvoice, query } from './invoice-support.js';

/**
 * Whatever a merchant signs and sends to the invoice API, the answer is never a server
 * error: JSON with an integer `code` and a `message` (a bad value is 204/207/…, never a 500).
 */

const RUNS = 120;

const FIELDS = [
  'wallet_id', 'amount', 'product_name', 'period_time', 'max_open_count', 'app', 'customer_order_id', 'customer_reference',
  'return_url', 'notify_url', 'qrcode', 'pay_currency', 'invoice_id', 'start_time', 'end_time', 'page', 'page_size',
  'reference', 'refund_amount', '__proto__', 'constructor',
];

const scalar = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.constantFrom('', '0', '-1', '1e3', '12.345', '1.00', 'NaN', 'true', 'false', '2026-03-10', '2026-02-30 10:00:00', '9999-12-31 23:59:59', 'http://x', 'NZD', 'CNY'),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.constantFrom(1e21, -0, Number.MAX_SAFE_INTEGER + 2, 0.1 + 0.2, 43_200, 43_201),
);

const fields = fc.dictionary(fc.constantFrom(...FIELDS), scalar, { maxKeys: 10 });

function assertLatipayJson(response: LightMyRequestResponse, what: string): void {
  assert.ok(response.statusCode < 500, `${what} → ${response.statusCode} ${response.body.slice(0, 200)}`);
  assert.equal(response.statusCode, 200, what);
  const answer = response.json() as { code: unknown; message: unknown };
  assert.ok(Number.isInteger(answer.code), `${what}: ${response.body.slice(0, 200)}`);
  assert.equal(typeof answer.message, 'string');
}

describe('the invoice API under random signed input', () => {
  let gw: TestGateway;
  let invoiceId: string;
  before(async () => {
    gw = await createTestGateway();
    invoiceId = (await createInvoice(gw, gw.merchant)).invoiceId;
  });
  after(() => gw.close());

  for (const [method, url] of [
    ['POST', '/v2/invoice'],
    ['PUT', '/v2/invoice'],
    ['DELETE', '/v2/invoice'],
    ['POST', '/v2/invoice/refund'],
  ] as const) {
    test(`${method} ${url}`, async () => {
      await fc.assert(
        fc.asyncProperty(fields, fc.boolean(), async (random, addressed) => {
          const body = signed({ user_id: gw.merchant.user_id, wallet_id: gw.merchant.wallet_id, ...(addressed ? { invoice_id: invoiceId } : {}), ...random }, gw.merchant.api_key);
          assertLatipayJson(await gw.app.inject({ method, url, payload: body }), `${method} ${JSON.stringify(body).slice(0, 160)}`);
        }),
        { numRuns: RUNS },
      );
    });
  }

  for (const url of ['/v2/invoice', '/v2/invoices']) {
    test(`GET ${url}`, async () => {
      await fc.assert(
        fc.asyncProperty(fields, async (random) => {
          const params = signed({ user_id: gw.merchant.user_id, ...Object.fromEntries(Object.entries(random).map(([k, v]) => [k, v === null ? null : String(v)])) }, gw.merchant.api_key);
          assertLatipayJson(await gw.app.inject({ method: 'GET', url: `${url}?${query(params)}` }), `GET ${url} ${JSON.stringify(params).slice(0, 160)}`);
        }),
        { numRuns: RUNS },
      );
    });
  }
});
