import { createHash } from 'node:crypto';
import { latipayError } from '../domain/errors.js';
import { generateNonce } from '../domain/ids.js';
import { parseAmount } from '../domain/money.js';
import { isPaymentMethod } from '../domain/payment-methods.js';
import type { RequestParams } from '../domain/request-params.js';
import { hmacHex } from '../domain/signature.js';
import { currentCnyRate } from './fx-rates.js';
import { isHttpUrl, isIpAddress } from '../domain/validation.js';
import { outboundUrlRefusal } from '../notify/outbound-guard.js';
import { findUsableWallet } from './wallets.js';
import { findOrderByReference, insertOrder, renewOrderNonce, type OrderRecord } from '../store/orders.js';
import { isUniqueViolation } from '../store/store.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { newPendingOrder } from './new-order.js';
import { sealOrderDetails } from './order-details.js';
import { parseOrderDetails } from '../domain/order-details.js';
import { insertOrderDetails } from '../store/order-details.js';

export interface CreatedTransaction {
  host_url: string;
  nonce: string;
  signature: string;
}

const ALWAYS_REQUIRED = [
  'user_id',
  'wallet_id',
  'amount',
  'payment_method',
  'callback_url',
  'merchant_reference',
  'ip',
  'version',
  'product_name',
  'signature',
] as const;

/** The path a customer's browser opens, `host_url + "/" + nonce`. */
export function hostUrlFor(ctx: GatewayContext, hostType: string): string {
  return hostType === '1' ? `${ctx.config.publicUrl}/v2/merchanthosted/gatewaydata` : `${ctx.config.publicUrl}/pay`;
}

/** `POST /v2/transaction` (spec §4.1). */
export async function createTransaction(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin): Promise<CreatedTransaction> {
  params.requireAll(ALWAYS_REQUIRED);
  const hostType = params.text('host_type') ?? '0';
  if (hostType !== '1') params.required('return_url');

  const { user, key } = await authenticateRequest(ctx, params, origin, {
    extra: () => {
      const [u, w, a, m, r, c] = ['user_id', 'wallet_id', 'amount', 'payment_method', 'return_url', 'callback_url'].map(
        (name) => params.text(name) ?? '',
      );
      return [
        { form: 'legacy-create', message: u + w + a + m + r + c },
        { form: 'legacy-create-oldest', message: u + w + a + m + c },
      ];
    },
  });

  const amount = parseAmount(params.raw('amount'));
  if (!amount.ok) throw latipayError('BAD_PARAMETER', `amount ${amount.reason}`);
  const version = params.required('version');
  if (version !== '2.0') throw latipayError('BAD_PARAMETER', 'version must be "2.0"');
  const returnUrl = params.text('return_url') ?? '';
  if (returnUrl !== '' && !isHttpUrl(returnUrl)) throw latipayError('BAD_PARAMETER', 'return_url must be an absolute http(s) URL');
  const callbackUrl = params.required('callback_url');
  if (!isHttpUrl(callbackUrl)) throw latipayError('BAD_PARAMETER', 'callback_url must be an absolute http(s) URL');
  // return_url and backPage_url are only ever opened by the customer's browser: not checked.
  const refused = ctx.config.outboundGuard ? outboundUrlRefusal(ctx.config, callbackUrl) : undefined;
  if (refused) throw latipayError('BAD_PARAMETER', `callback_url must be a public address: ${refused}`);
  const backPageUrl = params.text('backPage_url');
  if (backPageUrl !== undefined && !isHttpUrl(backPageUrl)) throw latipayError('BAD_PARAMETER', 'backPage_url must be an absolute http(s) URL');
  const ip = params.required('ip');
  if (!isIpAddress(ip)) throw latipayError('BAD_PARAMETER', 'ip must be an IP address such as 122.122.122.1');
  const reference = params.required('merchant_reference');
  if (reference.length > 128) throw latipayError('BAD_PARAMETER', 'merchant_reference must be at most 128 characters');
  const productName = params.required('product_name');
  if (productName.length > 255) throw latipayError('BAD_PARAMETER', 'product_name must be at most 255 characters');
  if (hostType !== '0' && hostType !== '1') throw latipayError('BAD_PARAMETER', 'host_type must be "1" or absent');
  const presentQr = params.text('present_qr') ?? '0';
  if (presentQr !== '0' && presentQr !== '1') throw latipayError('BAD_PARAMETER', 'present_qr must be "1" or absent');

  const details = parseOrderDetails(params);

  const method = params.required('payment_method');
  if (!isPaymentMethod(method)) throw latipayError('UNKNOWN_METHOD', `payment_method ${JSON.stringify(method)} is not known`);

  const walletId = params.required('wallet_id');
  const wallet = await findUsableWallet(ctx, walletId, user.id);
  if (!wallet) throw latipayError('WALLET_NOT_ASSIGNED', `wallet_id ${walletId} is not assigned to ${user.id}`);
  if (!wallet.methods.split(',').includes(method)) throw latipayError('METHOD_NOT_ENABLED', `${method} is not enabled for ${walletId}`);
  if (wallet.single_limit_minor !== null && amount.minor > Number(wallet.single_limit_minor)) {
    throw latipayError('OVER_LIMIT', `amount exceeds the wallet's single-payment limit`);
  }
  const route = await ctx.providers.route(wallet, method);
  if (!route) throw latipayError('PAY_COMPANY_NOT_FOUND', `no provider serves ${method} for ${walletId} on this gateway`);
  // Latipay's merchant-hosted QR takes `alipay` and `wechat` only: a bank, PayID or UnionPay payment has no QR to show.
  if (hostType === '1' && method !== 'alipay' && method !== 'wechat') {
    throw latipayError('BAD_PARAMETER', `host_type=1 (merchant-hosted QR) takes payment_method alipay or wechat, not ${method}`);
  }

  // What makes two requests "the same checkout": not the customer's ip, not the signature.
  const requestHash = createHash('sha256')
    .update(JSON.stringify([walletId, amount.minor, method, returnUrl, callbackUrl, productName, hostType, presentQr, backPageUrl ?? '']))
    // The console fields too, when sent (not the id number: its hash would outlive the sealed value).
    .update(details === undefined ? '' : JSON.stringify({ ...details, idNumber: undefined }))
    .digest('hex');

  const currencyRate = await currentCnyRate(ctx, wallet.currency);
  const hostUrl = hostUrlFor(ctx, hostType);
  const answer = (nonce: string): CreatedTransaction => ({ host_url: hostUrl, nonce, signature: hmacHex(key, nonce + hostUrl) });

  // Insert first (the common case: a new reference); a unique-key conflict means the
  // reference exists, and only then is the existing order read.
  for (let attempt = 0; attempt < 3; attempt++) {
    const orderNumber = await ctx.orderNumbers.next();
    const now = ctx.clock();
    const order = newPendingOrder(
      ctx,
      {
        user_id: user.id,
        wallet_id: walletId,
        organisation_id: Number(wallet.organisation_id),
        merchant_reference: reference,
        amount_minor: amount.minor,
        currency: wallet.currency,
        payment_method: method,
        product_name: productName,
        return_url: returnUrl,
        callback_url: callbackUrl,
        backpage_url: backPageUrl ?? null,
        ip,
        host_type: hostType,
        present_qr: presentQr,
        request_hash: requestHash,
        channel: route.provider.name,
        provider_account_id: route.accountId,
        currency_rate: currencyRate,
      },
      now,
      orderNumber,
    );
    try {
      if (details === undefined) await insertOrder(ctx.store.db, order);
      else {
        const stored = sealOrderDetails(ctx, details);
        await ctx.store.db.transaction().execute(async (trx) => {
          await insertOrder(trx, order);
          await insertOrderDetails(trx, order.order_id, stored);
        });
      }
      return answer(order.nonce);
    } catch (error) {
      if (!isUniqueViolation(error)) throw error;
    }
    // Read on the writer (in a transaction): on SQLite it sees the order that won even
    // before its group commit reaches the reader connection.
    const existing = await ctx.store.db.transaction().execute((trx) => findOrderByReference(trx, user.id, reference));
    if (existing) return answer(await reuseOrder(ctx, existing, requestHash));
  }
  throw latipayError('FAIL', 'could not create the order, try again');
}

/**
 * A merchant_reference used again [ours, spec §4.1]: the same checkout on a still-pending
 * order gets a fresh nonce for the same order; anything else is refused and changes nothing.
 */
async function reuseOrder(ctx: GatewayContext, existing: OrderRecord, requestHash: string): Promise<string> {
  if (existing.status !== 'pending' || Number(existing.expires_at) <= ctx.clock()) {
    throw latipayError('BAD_PARAMETER', `merchant_reference is already used by an order that is ${existing.status === 'pending' ? 'expired' : existing.status}`);
  }
  if (existing.request_hash !== requestHash) {
    throw latipayError('BAD_PARAMETER', 'merchant_reference is already used by an order with different parameters');
  }
  const nonce = generateNonce();
  if (!(await renewOrderNonce(ctx.store.db, existing.order_id, nonce, ctx.clock()))) {
    throw latipayError('BAD_PARAMETER', 'merchant_reference is already used by an order that is no longer pending');
  }
  return nonce;
}
