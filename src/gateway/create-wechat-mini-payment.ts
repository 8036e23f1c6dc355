import { createHash } from 'node:crypto';
import { SANDBOX_ACCOUNT } from '../channels/provider-registry.js';
import { latipayError } from '../domain/errors.js';
import { parseAmount } from '../domain/money.js';
import type { RequestParams } from '../domain/request-params.js';
import { hmacHex } from '../domain/signature.js';
import { isHttpUrl } from '../domain/validation.js';
import { outboundUrlRefusal } from '../notify/outbound-guard.js';
import { authenticateRequest, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { placeMiniProgramOrder } from './mini-program-order.js';
import { nextActionOf } from './start-payment.js';

/** What the mini program hands `wx.requestPayment` (`packageStr` as its `package`). */
export interface WechatMiniPayment {
  nonceStr: string;
  paySign: string;
  signType: string;
  timeStamp: string;
  packageStr: string;
}

export interface WechatMiniPaymentAnswer {
  payment: WechatMiniPayment;
  paydata: { order_id: string };
}

const REQUIRED = ['user_id', 'wallet_id', 'amount', 'notify_url', 'merchant_reference', 'product_name', 'app_id', 'open_id', 'signature'] as const;
/** WeChat's appid and openid (string[1,32] and string[1,128] in the API v3 schemas). */
const APP_ID = /^[0-9A-Za-z_-]{1,32}$/;
const OPEN_ID = /^[0-9A-Za-z_-]{1,128}$/;

/**
 * `POST /v2/miniapppay` (spec §4.13, Latipay's "Wechat Mini App Payment"): the merchant's
 * server, with its mini program's `app_id` and the payer's `open_id`, creates a WeChat
 * order and gets what `wx.requestPayment` takes. With WeChat Pay serving the wallet that is
 * a JSAPI prepay ordered with the mini program's appid, `paySign` WeChat Pay's RSA
 * signature by the merchant key; with the sandbox, `paySign` is HMAC-SHA256 keyed by the
 * api_key over the same four lines (docs/mini-programs.md). The result comes like any
 * order's: the callback to `notify_url`, the query API.
 */
export async function createWechatMiniPayment(ctx: GatewayContext, params: RequestParams, origin: RequestOrigin): Promise<WechatMiniPaymentAnswer> {
  params.requireAll(REQUIRED);
  const { user, key } = await authenticateRequest(ctx, params, origin);

  const amount = parseAmount(params.raw('amount'));
  if (!amount.ok) throw latipayError('BAD_PARAMETER', `amount ${amount.reason}`);
  const notifyUrl = params.required('notify_url');
  if (!isHttpUrl(notifyUrl)) throw latipayError('BAD_PARAMETER', 'notify_url must be an absolute http(s) URL');
  const refused = ctx.config.outboundGuard ? outboundUrlRefusal(ctx.config, notifyUrl) : undefined;
  if (refused) throw latipayError('BAD_PARAMETER', `notify_url must be a public address: ${refused}`);
  const reference = params.required('merchant_reference');
  if (reference.length > 128) throw latipayError('BAD_PARAMETER', 'merchant_reference must be at most 128 characters');
  const productName = params.required('product_name');
  if (productName.length > 255) throw latipayError('BAD_PARAMETER', 'product_name must be at most 255 characters');
  const appId = params.required('app_id');
  if (!APP_ID.test(appId)) throw latipayError('BAD_PARAMETER', 'app_id must be a WeChat mini program AppID such as wx721398712681232');
  const openId = params.required('open_id');
  if (!OPEN_ID.test(openId)) throw latipayError('BAD_PARAMETER', "open_id must be the payer's openid for the mini program (from code2Session)");
  const walletId = params.required('wallet_id');

  // The same payment: the payer and the mini program too (an attempt is ordered for them).
  const requestHash = createHash('sha256')
    .update(JSON.stringify(['miniapppay', walletId, amount.minor, 'wechat', notifyUrl, productName, appId, openId]))
    .digest('hex');
  const { order, attempt } = await placeMiniProgramOrder(ctx, {
    user,
    method: 'wechat',
    walletId,
    amountMinor: amount.minor,
    reference,
    productName,
    callbackUrl: notifyUrl,
    ip: '',
    requestHash,
    context: { device: 'wechat', purpose: 'mini_program', payerAppId: appId, payerOpenId: openId, returnUrl: '' },
  });

  const action = nextActionOf(attempt);
  if (action?.type !== 'open_wallet' || action.wallet !== 'wechat_jsapi') throw new Error(`attempt ${attempt.attempt_id} has no wx.requestPayment parameters`);
  const { appId: invokedAppId, timeStamp, nonceStr, package: pkg, signType } = action.params;
  // The sandbox holds no merchant key: the gateway signs its parameters with the api_key.
  const paySign = attempt.account_id === SANDBOX_ACCOUNT ? sandboxPaySign(key, invokedAppId, timeStamp, nonceStr, pkg) : action.params.paySign;
  return { payment: { nonceStr, paySign, signType, timeStamp, packageStr: pkg }, paydata: { order_id: order.order_id } };
}

/**
 * The sandbox's paySign: HMAC-SHA256 keyed by the api_key over WeChat's paySign message,
 * `appId\ntimeStamp\nnonceStr\npackage\n` (its four lines, each ending in a newline), in
 * lowercase hex. The merchant's server can check it; nothing else reads it.
 */
export function sandboxPaySign(apiKey: string, appId: string, timeStamp: string, nonceStr: string, pkg: string): string {
  return hmacHex(apiKey, `${appId}\n${timeStamp}\n${nonceStr}\n${pkg}\n`);
}
