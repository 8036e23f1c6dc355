import { formatAmount } from '../domain/money.js';
import { redirectStatus, type FinalStatus } from '../domain/order-status.js';
import { signResult } from '../domain/signature.js';
import { formatWireTime } from '../domain/time.js';
import type { NextAction, PaymentRejection } from '../channels/provider.js';
import type { OrderRecord, OrderResult } from '../store/orders.js';
import type { AttemptRecord } from '../store/payment-attempts.js';

/**
 * The signed fields the merchant receives about an order: in the callback (spec §4.4),
 * the redirect (§4.5) and the query answer (§4.6). One signature formula for all three.
 * `OrderResult` is the part of an order they are made of.
 */
export function resultFields(order: OrderResult, apiKey: string, offsetMinutes: number, status: string = order.status) {
  const amount = formatAmount(Number(order.amount_minor));
  const settledAt = order.paid_at ?? (order.status === 'pending' ? null : order.updated_at);
  const fields = {
    merchant_reference: order.merchant_reference,
    order_id: order.order_id,
    currency: order.currency,
    amount,
    payment_method: order.payment_method,
    status,
    pay_time: settledAt === null ? '' : formatWireTime(Number(settledAt), offsetMinutes),
  };
  return { ...fields, signature: signResult(apiKey, fields) };
}

/**
 * The callback's form body; `extra` fields (PayID's, see payIdCallbackFields) follow the
 * signed ones and take no part in the signature (spec §4.4).
 */
export function callbackBody(order: OrderRecord, apiKey: string, offsetMinutes: number, extra?: Readonly<Record<string, string>>): string {
  return new URLSearchParams({ ...resultFields(order, apiKey, offsetMinutes), ...extra }).toString();
}

/**
 * What a PayID order's callbacks add (Latipay's docs, "Extra attribute for payid"): `payId`,
 * the PayID the payer was told to pay (from the attempt's instructions), and for a rejected
 * payment `message` (why) and `blockData` (the prohibited reference, when that was why).
 * Every PayID callback carries all three, empty when they do not apply [ours: the docs say
 * when they have a value, not whether they are sent without one].
 */
export function payIdCallbackFields(
  attempt: Pick<AttemptRecord, 'next_action'> | undefined,
  rejection: PaymentRejection | undefined,
): { message: string; payId: string; blockData: string } {
  let payId = '';
  try {
    const action = attempt?.next_action ? (JSON.parse(attempt.next_action) as NextAction) : undefined;
    if (action?.type === 'show_instructions') payId = action.instructions.payId ?? '';
  } catch {
    // An attempt recorded without a readable next action: the PayID is not known.
  }
  return { message: rejection?.message ?? '', payId, blockData: rejection?.blockData ?? '' };
}

/** The signed return_url redirect of a final order; undefined when the order has no return_url. */
export function returnRedirectUrl(order: OrderRecord, apiKey: string): string | undefined {
  if (!order.return_url) return undefined;
  const status = redirectStatus(order.status as FinalStatus);
  const amount = formatAmount(Number(order.amount_minor));
  const fields = {
    merchant_reference: order.merchant_reference,
    payment_method: order.payment_method,
    status,
    currency: order.currency,
    amount,
  };
  const query = new URLSearchParams({ ...fields, signature: signResult(apiKey, fields) }).toString();
  const [base, hash] = splitHash(order.return_url);
  return base + (base.includes('?') ? (base.endsWith('?') || base.endsWith('&') ? '' : '&') : '?') + query + hash;
}

function splitHash(url: string): [string, string] {
  const i = url.indexOf('#');
  return i === -1 ? [url, ''] : [url.slice(0, i), url.slice(i)];
}
