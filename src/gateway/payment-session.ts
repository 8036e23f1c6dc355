import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { NextAction, PaymentContext, PaymentProvider } from '../channels/provider.js';
import { isFinal, type OrderStatus } from '../domain/order-status.js';
import { findOrganisationName } from '../store/merchants.js';
import { findOrderByNonce, type OrderRecord } from '../store/orders.js';
import { findLatestAttempt, type AttemptRecord } from '../store/payment-attempts.js';
import type { GatewayContext } from './context.js';
import { outgoingKey } from './credentials.js';
import { returnRedirectUrl } from './result-fields.js';
import { accountOfOrder, nextActionOf, openAttempt, PaymentClosedError } from './start-payment.js';

export type PaymentSession =
  | { kind: 'unknown' }
  /** A nonce the order had before a checkout retry gave it `nonce`: the page moves on there. */
  | { kind: 'moved'; nonce: string }
  | { kind: 'expired'; order: OrderRecord }
  | { kind: 'final'; order: OrderRecord; organisationName: string; redirectUrl: string | undefined }
  /** A payment of the order was reported and did not match it: an operator checks it; nothing more can be paid. */
  | { kind: 'review'; order: OrderRecord; organisationName: string }
  /**
   * Inside the wallet's own browser, the payer is identified first (WeChat's OAuth, for
   * JSAPI's openid): the page sends the customer to `redirectUrl`, setting `cookie`.
   */
  | { kind: 'identify'; order: OrderRecord; redirectUrl: string; cookie: string }
  | {
      kind: 'pending';
      order: OrderRecord;
      organisationName: string;
      attempt: AttemptRecord;
      nextAction: NextAction | undefined;
      /** The QR's content, when the next action is a QR ('' otherwise). */
      qrUrl: string;
      /** The payer was identified on this visit (back from the OAuth): the page drops `code` and `state` from its URL. */
      identified: boolean;
    };

/** What the customer brought back from the wallet's OAuth: the query's `code` and `state`, and the cookie set on the way out. */
export interface OAuthReturn {
  readonly code?: string;
  readonly state?: string;
  readonly cookie?: string;
}

/** The cookie that binds an OAuth round trip to the browser that started it. */
export const OAUTH_COOKIE = 'latipay_oauth';
const OAUTH_STATE_TTL_MS = 10 * 60_000;

/**
 * What the hosted page shows for a nonce. A pending order gets a payment attempt with its
 * provider (and so what the customer does next: a QR on a PC, the wallet in its own app…)
 * when the page asks, outside any transaction; a final order answers its signed return_url
 * redirect.
 */
export async function loadPaymentSession(
  ctx: GatewayContext,
  nonce: string,
  context: Pick<PaymentContext, 'device'> & Partial<PaymentContext> = { device: 'pc' },
  oauth: OAuthReturn = {},
): Promise<PaymentSession> {
  if (!/^[0-9a-f]{64}$/.test(nonce)) return { kind: 'unknown' };
  const order = await findOrderByNonce(ctx.store.db, nonce);
  if (!order) return { kind: 'unknown' };
  if (order.nonce !== nonce) return { kind: 'moved', nonce: order.nonce };
  // A payment under review stays so past the order's expiry: the customer did pay something.
  const underReview = order.status === 'pending' && order.review_reason !== null;
  if (Number(order.expires_at) <= ctx.clock() && !underReview) return { kind: 'expired', order };
  const organisationName = (await findOrganisationName(ctx.store.db, Number(order.organisation_id))) ?? '';
  if (isFinal(order.status as OrderStatus)) return finalSession(ctx, order, organisationName);
  if (underReview) return { kind: 'review', order, organisationName };
  const returnUrl = `${ctx.config.publicUrl}/pay/${nonce}`;
  const step = await identifyPayer(ctx, order, nonce, returnUrl, context.device, oauth);
  if (step.kind === 'redirect') return { kind: 'identify', order, redirectUrl: step.url, cookie: step.cookie };
  let attempt: AttemptRecord;
  try {
    attempt = await openAttempt(ctx, order, {
      purpose: 'payment_page',
      returnUrl,
      ...context,
      ...(step.kind === 'identified' ? { payerOpenId: step.openId } : {}),
    });
  } catch (error) {
    if (!(error instanceof PaymentClosedError)) throw error;
    // The order moved on while the page asked: what it is now.
    const current = (await findOrderByNonce(ctx.store.db, nonce)) ?? order;
    return isFinal(current.status as OrderStatus) ? finalSession(ctx, current, organisationName) : { kind: 'review', order: current, organisationName };
  }
  const nextAction = nextActionOf(attempt);
  return {
    kind: 'pending',
    order,
    organisationName,
    attempt,
    nextAction,
    qrUrl: nextAction?.type === 'show_qr' ? nextAction.qrContent : '',
    identified: step.kind === 'identified',
  };
}

async function finalSession(ctx: GatewayContext, order: OrderRecord, organisationName: string): Promise<PaymentSession> {
  const user = await ctx.credentials.findUser(order.user_id);
  return { kind: 'final', order, organisationName, redirectUrl: user ? returnRedirectUrl(order, outgoingKey(user, ctx.clock())) : undefined };
}

type IdentifyStep = { kind: 'none' } | { kind: 'redirect'; url: string; cookie: string } | { kind: 'identified'; openId: string };

/**
 * Inside WeChat, a WeChat order whose provider can identify payers: on the first visit the
 * customer is sent through the official account's OAuth (snsapi_base, silent), and comes
 * back with a code the provider exchanges for the openid, which opens a JSAPI attempt. The
 * `state` is unguessable, bound to this order's nonce and to a cookie of this browser, and
 * short-lived; anything wrong on the way back (a bad state, a code that gives no openid)
 * falls back to the QR, never to another round trip. An in-app attempt already open is
 * simply shown again.
 */
async function identifyPayer(
  ctx: GatewayContext,
  order: OrderRecord,
  nonce: string,
  returnUrl: string,
  device: PaymentContext['device'],
  oauth: OAuthReturn,
): Promise<IdentifyStep> {
  if (device !== 'wechat' || order.payment_method !== 'wechat') return { kind: 'none' };
  const accountId = accountOfOrder(order);
  const provider: PaymentProvider | undefined = await ctx.providers.byAccount(accountId);
  const identity = provider?.payerIdentity;
  if (!identity) return { kind: 'none' };
  const latest = await findLatestAttempt(ctx.store.db, order.order_id);
  if (latest && latest.status === 'pending' && latest.account_id === accountId && latest.flow === 'in_app') return { kind: 'none' };
  const key = ctx.secrets.deriveKey('payer-oauth-state');
  if (oauth.code === undefined && oauth.state === undefined) {
    const browser = randomBytes(8).toString('hex');
    const issued = ctx.clock().toString(16);
    const state = `${issued}${browser}${stateMac(key, nonce, issued, browser)}`;
    return { kind: 'redirect', url: identity.authorizeUrl(returnUrl, state), cookie: browser };
  }
  if (!oauth.code || !validState(key, nonce, oauth.state, oauth.cookie, ctx.clock())) {
    ctx.log.warn({ orderId: order.order_id }, 'a payer came back from the OAuth without a valid state or code; the page shows the QR');
    return { kind: 'none' };
  }
  try {
    return { kind: 'identified', openId: await identity.openIdFor(oauth.code) };
  } catch (error) {
    ctx.log.warn({ err: error, orderId: order.order_id }, "could not learn the payer's openid; the page shows the QR");
    return { kind: 'none' };
  }
}

function stateMac(key: string, nonce: string, issued: string, browser: string): string {
  return createHmac('sha256', key).update(`${nonce}.${issued}.${browser}`).digest('hex').slice(0, 32);
}

function validState(key: string, nonce: string, state: string | undefined, cookie: string | undefined, now: number): boolean {
  const match = /^([0-9a-f]{1,12})([0-9a-f]{16})([0-9a-f]{32})$/.exec(state ?? '');
  if (!match || cookie === undefined) return false;
  const [, issued, browser, mac] = match;
  const age = now - parseInt(issued, 16);
  if (!(age >= 0 && age <= OAUTH_STATE_TTL_MS)) return false;
  const expected = Buffer.from(stateMac(key, nonce, issued, browser) + browser);
  const given = Buffer.from(mac + cookie);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
