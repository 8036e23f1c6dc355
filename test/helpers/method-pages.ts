import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import { listNotificationsForOrder } from '../../src/store/notifications.js';
import { answerOf, hmac, PC_UA } from '../http/support.js';
import { signed, type TestGateway } from './gateway.js';

/**
 * What the tests of the NZ and Australian methods share: reading the pages a payer goes
 * through, posting their forms, and reading what the merchant is told (the callback in the
 * outbox, the query, the return_url redirect). Signatures are checked with the formula of
 * spec §2.3 written out, not with the gateway's functions.
 */

export function getPage(gw: TestGateway, url: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method: 'GET', url, headers: { 'user-agent': PC_UA, accept: 'text/html', ...headers } });
}

/** Posts a page's form, as the browser does (urlencoded). */
export function postForm(gw: TestGateway, url: string, fields: Record<string, string>): Promise<LightMyRequestResponse> {
  return gw.app.inject({
    method: 'POST',
    url,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': PC_UA, accept: 'text/html' },
    payload: new URLSearchParams(fields).toString(),
  });
}

export function assertHtml(response: LightMyRequestResponse, status = 200): string {
  assert.equal(response.statusCode, status, response.body.slice(0, 300));
  assert.match(String(response.headers['content-type']), /^text\/html/);
  return response.body;
}

/** The page headers every HTML page gets (security-headers.ts): no framing, a script policy. */
export function assertPageSecurity(response: LightMyRequestResponse): void {
  assert.equal(response.headers['x-frame-options'], 'DENY');
  assert.match(String(response.headers['content-security-policy']), /frame-ancestors 'none'/);
  assert.match(String(response.headers['content-security-policy']), /form-action 'self'/);
}

/** The href of the element carrying `data-test="name"`, entities decoded. */
export function hrefOf(body: string, name: string): string {
  const match = new RegExp(`<a [^>]*href="([^"]*)"[^>]*data-test="${name}"|<a [^>]*data-test="${name}"[^>]*href="([^"]*)"`).exec(body);
  assert.ok(match, `the page has a link data-test="${name}"`);
  return (match[1] ?? match[2]).replaceAll('&amp;', '&');
}

/** The opening tag of the element carrying `data-test="name"`. */
export function tagOf(body: string, name: string): string {
  const match = new RegExp(`<[a-z0-9]+ [^>]*data-test="${name}"[^>]*>`).exec(body);
  assert.ok(match, `the page has data-test="${name}"`);
  return match[0];
}

/** The text of the first element carrying `data-test="name"` (drawings and tags inside it dropped). */
export function textOf(body: string, name: string): string {
  const match = new RegExp(`data-test="${name}"[^>]*>([\\s\\S]*?)</(p|h1|dd|div|a|span|li)>`).exec(body.replace(/<svg[\s\S]*?<\/svg>/g, ''));
  assert.ok(match, `the page has data-test="${name}"`);
  return match[1].replace(/<[^>]+>/g, '').replaceAll('&amp;', '&').replaceAll('&#39;', "'").replace(/\s+/g, ' ').trim();
}

/** A path of this gateway from an absolute URL under PUBLIC_URL (what inject takes). */
export function pathOf(url: string): string {
  const parsed = new URL(url, 'http://gateway.test');
  return parsed.pathname + parsed.search;
}

/** The callbacks queued for an order, as the merchant receives them (form fields). */
export async function callbacksOf(gw: TestGateway, orderId: string): Promise<Array<Record<string, string>>> {
  return (await listNotificationsForOrder(gw.store.db, orderId)).map((n) => Object.fromEntries(new URLSearchParams(n.body)));
}

/** HMAC(merchant_reference + payment_method + status + currency + amount), spec §2.3. */
export function resultSignature(apiKey: string, f: Record<string, string>): string {
  return hmac(apiKey, f.merchant_reference + f.payment_method + f.status + f.currency + f.amount);
}

/** Asserts the one callback of an order: its status, method, amount, and a valid signature. */
export async function assertOneCallback(
  gw: TestGateway,
  merchant: CreatedMerchant,
  orderId: string,
  expected: { reference: string; method: string; status: string; currency: string; amount: string },
): Promise<Record<string, string>> {
  const callbacks = await callbacksOf(gw, orderId);
  assert.equal(callbacks.length, 1, 'one callback');
  const [fields] = callbacks;
  assert.equal(fields.merchant_reference, expected.reference);
  assert.equal(fields.order_id, orderId);
  assert.equal(fields.payment_method, expected.method);
  assert.equal(fields.status, expected.status);
  assert.equal(fields.currency, expected.currency);
  assert.equal(fields.amount, expected.amount);
  assert.equal(fields.signature, resultSignature(merchant.api_key, fields));
  return fields;
}

/** GET /v2/transaction/{reference}, signed; answers the answer after checking its signature. */
export async function queryOrder(gw: TestGateway, merchant: CreatedMerchant, reference: string): Promise<Record<string, unknown>> {
  const { signature } = signed({ merchant_reference: reference, user_id: merchant.user_id }, merchant.api_key);
  const response = await gw.app.inject({ method: 'GET', url: `/v2/transaction/${encodeURIComponent(reference)}?user_id=${merchant.user_id}&signature=${signature}` });
  const answer = answerOf(response);
  assert.equal(answer.code, 0, response.body);
  assert.equal(answer.signature, resultSignature(merchant.api_key, answer as unknown as Record<string, string>));
  return answer;
}

/** Asserts `location` is the merchant's return_url with the signed result of spec §4.5. */
export function assertSignedReturn(apiKey: string, location: string, expected: { reference: string; method: string; status: string }): void {
  const url = new URL(location);
  assert.equal(url.origin + url.pathname, 'https://merchant.example/return', location);
  const q = Object.fromEntries(url.searchParams);
  assert.equal(q.merchant_reference, expected.reference);
  assert.equal(q.payment_method, expected.method);
  assert.equal(q.status, expected.status);
  assert.equal(q.signature, resultSignature(apiKey, q));
}
