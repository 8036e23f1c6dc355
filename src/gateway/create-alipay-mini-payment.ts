import { createHash } from 'node:crypto';
import { SANDBOX_ACCOUNT } from '../channels/provider-registry.js';
import { latipayError } from '../domain/errors.js';
import { formatAmount, parseAmount } from '../domain/money.js';
import { isPaymentMethod } from '../domain/payment-methods.js';
import type { RequestParams } from '../domain/request-params.js';
import { joinParams, signObject } from '../domain/signature.js';
import { isHttpUrl, isIpAddress } from '../domain/validation.js';
import { outboundUrlRefusal } from '../notify/outbound-guard.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { placeMiniProgramOrder } from './mini-program-order.js';
import { nextActionOf } from './start-payment.js';

export interface AlipayMiniPaymentAnswer {
  /** The fields of the orderStr `my.tradePay` takes: joined as `k=v` with `&`, in this order. */
  gatewaydata: Record<string, string>;
  paydata: { orderId: string; customerOrderId: string; amount: string; currency: string };
}

const REQUIRED = ['user_id', 'wallet_id', 'amount', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name', 'signature'] as const;

/**
 * `POST /v2/minialipay` (spec §4.13, Latipay's "Alipay Mini App Online Payment"): the
 * fields of `POST /v2/transaction` without `payment_method` and `return_url`; the answer's
 * `gatewaydata` are the fields of the orderStr the merchant's Alipay mini program hands
 * `my.tradePay`, and `paydata` names the order. Latipay's own example request carries
 * `payment_method: "alipay"` yet its signature (spec §2.4's mini Alipay vector) is over the
 * fields without it: that signature is accepted too. Another `payment_method` is 303.
 *
 * Only a provider whose API gives such an orderStr can serve it (the sandbox here; Antom's
 * API gives a payment URL instead, so a wallet whose Alipay is Antom's answers 302).
 */
export async function createAlipayMiniPayment(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin): Promise<AlipayMiniPaymentAnswer> {
  params.requireAll(REQUIRED);
  const { user, key } = await authenticateRequest(ctx, params, origin, {
    extra: (apiKey) =>
      params.has('payment_method')
        ? [{ form: 'sorted-without-payment-method', message: joinParams(params.entries.filter(([name]) => name !== 'payment_method')) + apiKey }]
        : [],
  });

  const method = params.text('payment_method');
  if (method !== undefined && method !== 'alipay') {
    throw latipayError('UNKNOWN_METHOD', `payment_method ${JSON.stringify(method)} ${isPaymentMethod(method) ? 'is not paid through an Alipay mini program' : 'is not known'}`);
  }
  const amount = parseAmount(params.raw('amount'));
  if (!amount.ok) throw latipayError('BAD_PARAMETER', `amount ${amount.reason}`);
  if (params.required('version') !== '2.0') throw latipayError('BAD_PARAMETER', 'version must be "2.0"');
  const callbackUrl = params.required('callback_url');
  if (!isHttpUrl(callbackUrl)) throw latipayError('BAD_PARAMETER', 'callback_url must be an absolute http(s) URL');
  const refused = ctx.config.outboundGuard ? outboundUrlRefusal(ctx.config, callbackUrl) : undefined;
  if (refused) throw latipayError('BAD_PARAMETER', `callback_url must be a public address: ${refused}`);
  const ip = params.required('ip');
  if (!isIpAddress(ip)) throw latipayError('BAD_PARAMETER', 'ip must be an IP address such as 122.122.122.1');
  const reference = params.required('merchant_reference');
  if (reference.length > 128) throw latipayError('BAD_PARAMETER', 'merchant_reference must be at most 128 characters');
  const productName = params.required('product_name');
  if (productName.length > 255) throw latipayError('BAD_PARAMETER', 'product_name must be at most 255 characters');
  const walletId = params.required('wallet_id');

  // The same payment as a retry: not the customer's ip, not the signature (as POST /v2/transaction).
  const requestHash = createHash('sha256').update(JSON.stringify(['minialipay', walletId, amount.minor, 'alipay', callbackUrl, productName])).digest('hex');
  const { order, attempt } = await placeMiniProgramOrder(ctx, {
    user,
    method: 'alipay',
    walletId,
    amountMinor: amount.minor,
    reference,
    productName,
    callbackUrl,
    ip,
    requestHash,
    context: { device: 'alipay', purpose: 'mini_program', clientIp: ip, returnUrl: '' },
  });

  const action = nextActionOf(attempt);
  if (action?.type !== 'open_wallet' || action.wallet !== 'alipay') throw new Error(`attempt ${attempt.attempt_id} has no my.tradePay order fields`);
  // The sandbox holds no merchant key: the gateway signs its fields with the api_key.
  const gatewaydata = attempt.account_id === SANDBOX_ACCOUNT ? signSandboxOrderFields(action.params, key) : { ...action.params };
  return {
    gatewaydata,
    paydata: { orderId: order.order_id, customerOrderId: order.merchant_reference, amount: formatAmount(Number(order.amount_minor)), currency: order.currency },
  };
}

/**
 * The sandbox's `sign`: the sorted signature of spec §2.1 (what the merchant signs its
 * requests with) over every field but `sign` and `sign_type`, as Alipay's order strings
 * leave those two out of what they sign. `sign` follows `sign_type`, as in Latipay's example.
 */
export function signSandboxOrderFields(fields: Readonly<Record<string, string>>, apiKey: string): Record<string, string> {
  const signed = Object.fromEntries(Object.entries(fields).filter(([name]) => name !== 'sign' && name !== 'sign_type'));
  const sign = signObject(signed, apiKey);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) {
    if (name === 'sign') continue;
    out[name] = value;
    if (name === 'sign_type') out.sign = sign;
  }
  if (out.sign === undefined) out.sign = sign;
  return out;
}
