import { randomBytes } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import type { TestGateway } from '../helpers/gateway.js';
import { answerOf, hmac, settleOrder, type Answer } from './support.js';

/**
 * Invoice helpers. Signatures are computed here the way a merchant's own code does
 * (Latipay's invoice.md: the parameters sorted, null and empty ones left out, joined with
 * `&`, the api_key appended), not with the gateway's functions.
 */

export type Fields = Record<string, string | number | boolean | null | undefined>;

export function signFields<T extends Fields>(fields: T, apiKey: string): T & { signature: string } {
  const message = Object.keys(fields)
    .filter((key) => key !== 'signature' && fields[key] !== null && fields[key] !== undefined && fields[key] !== '')
    .sort()
    .map((key) => `${key}=${String(fields[key])}`)
    .join('&');
  return { ...fields, signature: hmac(apiKey, message + apiKey) };
}

/**
 * The signature an invoice answer should carry: every field but code, message and
 * signature, arrays as their items joined by commas, null and empty values left out, sorted.
 */
export function answerSignature(answer: Record<string, unknown>, apiKey: string): string {
  const fields: Fields = {};
  for (const [key, value] of Object.entries(answer)) {
    if (key === 'code' || key === 'message' || key === 'signature') continue;
    fields[key] = Array.isArray(value) ? value.join(',') : (value as Fields[string]);
  }
  return signFields(fields, apiKey).signature;
}

export function invoiceFields(merchant: CreatedMerchant, overrides: Fields = {}): Fields {
  return { user_id: merchant.user_id, wallet_id: merchant.wallet_id, amount: '25.00', product_name: 'Wine club, March', ...overrides };
}

export async function postInvoice(gw: TestGateway, body: unknown): Promise<Answer> {
  return answerOf(await gw.app.inject({ method: 'POST', url: '/v2/invoice', payload: body as Record<string, unknown> }));
}

export interface CreatedInvoice {
  invoiceId: string;
  invoiceUrl: string;
  /** The path of invoice_url (`/invoice/{token}`). */
  path: string;
  token: string;
  answer: Answer;
}

/** Creates an invoice through the API (signed by the merchant) and answers what a test follows it by. */
export async function createInvoice(gw: TestGateway, merchant: CreatedMerchant, overrides: Fields = {}): Promise<CreatedInvoice> {
  const answer = await postInvoice(gw, signFields(invoiceFields(merchant, overrides), merchant.api_key));
  if (answer.code !== 0) throw new Error(`create invoice failed: ${JSON.stringify(answer)}`);
  const invoiceUrl = String(answer.invoice_url);
  const path = new URL(invoiceUrl).pathname;
  return { invoiceId: String(answer.invoice_id), invoiceUrl, path, token: path.split('/').pop() as string, answer };
}

export function query(fields: Fields): string {
  return new URLSearchParams(Object.entries(fields).flatMap(([k, v]) => (v === undefined || v === null ? [] : [[k, String(v)]]))).toString();
}

export async function getInvoice(gw: TestGateway, merchant: CreatedMerchant, address: Fields): Promise<Answer> {
  const fields = signFields({ user_id: merchant.user_id, ...address }, merchant.api_key);
  return answerOf(await gw.app.inject({ method: 'GET', url: `/v2/invoice?${query(fields)}` }));
}

export async function listInvoices(gw: TestGateway, merchant: CreatedMerchant, params: Fields): Promise<Answer> {
  const fields = signFields({ user_id: merchant.user_id, ...params }, merchant.api_key);
  return answerOf(await gw.app.inject({ method: 'GET', url: `/v2/invoices?${query(fields)}` }));
}

export async function putInvoice(gw: TestGateway, merchant: CreatedMerchant, fields: Fields): Promise<Answer> {
  const body = signFields({ user_id: merchant.user_id, wallet_id: merchant.wallet_id, ...fields }, merchant.api_key);
  return answerOf(await gw.app.inject({ method: 'PUT', url: '/v2/invoice', payload: body }));
}

export async function deleteInvoice(gw: TestGateway, merchant: CreatedMerchant, address: Fields): Promise<Answer> {
  const body = signFields({ user_id: merchant.user_id, ...address }, merchant.api_key);
  return answerOf(await gw.app.inject({ method: 'DELETE', url: '/v2/invoice', payload: body }));
}

export async function refundInvoice(gw: TestGateway, merchant: CreatedMerchant, fields: Fields, headers: Record<string, string> = {}): Promise<Answer> {
  const body = signFields({ user_id: merchant.user_id, ...fields }, merchant.api_key);
  return answerOf(await gw.app.inject({ method: 'POST', url: '/v2/invoice/refund', payload: body, headers }));
}

/** Opens the invoice's page as a payer's browser does. */
export function openPage(gw: TestGateway, path: string, method: 'GET' | 'HEAD' = 'GET'): Promise<LightMyRequestResponse> {
  return gw.app.inject({ method, url: path, headers: { accept: 'text/html' } });
}

/** The payer picks `method` on the page (the form's post). */
export function pick(gw: TestGateway, path: string, method: string): Promise<LightMyRequestResponse> {
  return gw.app.inject({
    method: 'POST',
    url: path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
    payload: new URLSearchParams({ method }).toString(),
  });
}

/** The invoice's backing order id (from the database), or null. */
export async function backingOrderId(gw: TestGateway, invoiceId: string): Promise<string | null> {
  const row = await gw.store.db.selectFrom('invoices').select('order_id').where('invoice_id', '=', invoiceId).executeTakeFirstOrThrow();
  return row.order_id;
}

/** A payer opens the page, picks `method`, and the sandbox wallet settles it with `outcome`. Answers the backing order id. */
export async function payInvoice(gw: TestGateway, invoice: CreatedInvoice, method = 'alipay', outcome: 'paid' | 'failed' = 'paid'): Promise<string> {
  const picked = await pick(gw, invoice.path, method);
  if (picked.statusCode !== 303) throw new Error(`pick failed: ${picked.statusCode} ${picked.body.slice(0, 200)}`);
  const orderId = await backingOrderId(gw, invoice.invoiceId);
  if (!orderId) throw new Error('no backing order');
  const settled = answerOf(await settleOrder(gw, orderId, outcome));
  if (settled.code !== 0 || settled.status !== (outcome === 'paid' ? 'paid' : 'failed')) throw new Error(`settle failed: ${JSON.stringify(settled)}`);
  return orderId;
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomBytes(5).toString('hex')}`;
}
