import type { FastifyInstance } from 'fastify';
import { TooManyRequestsError } from '../../domain/errors.js';
import { isFinal, type OrderStatus } from '../../domain/order-status.js';
import { outgoingKey } from '../../gateway/credentials.js';
import { loadPaymentSession, OAUTH_COOKIE, type PaymentSession } from '../../gateway/payment-session.js';
import type { PaymentContext } from '../../channels/provider.js';
import { returnRedirectUrl } from '../../gateway/result-fields.js';
import { findOrganisationName } from '../../store/merchants.js';
import { findOrderByNonce, findOrderStatus, type OrderRecord } from '../../store/orders.js';
import { detectDevice, type Device } from '../../pages/device.js';
import { pickLanguage, type Language } from '../../pages/i18n.js';
import { invoiceStringsFor } from '../../pages/invoice-strings.js';
import { renderMessagePage } from '../../pages/message-page.js';
import { renderPaymentPage } from '../../pages/payment-page.js';
import { outcomeOf, renderResultPage } from '../../pages/result-page.js';
import { themeFor } from '../../pages/theme.js';
import { addressKey } from '../client-address.js';
import { CountLimit } from '../count-limit.js';

type NonceRoute = { Params: { nonce: string } };
type PayRoute = NonceRoute & { Querystring: Record<string, unknown> };
/** The channel name of the built-in sandbox provider (SandboxChannel.name). */
const SANDBOX_CHANNEL = 'sandbox';
const HTML = 'text/html; charset=utf-8';
const HEARTBEAT_MS = 15_000;
/** What a refused live-status stream is told (Retry-After); the page polls /status meanwhile. */
const STREAM_RETRY_AFTER_SECONDS = 30;

/**
 * The hosted payment page (spec §4.2) and its live status. Once the order is final,
 * `/pay/{nonce}` answers the signed return_url redirect, so the page only has to reload.
 * Registered in the page scope: the pages get the security headers (security-headers.ts);
 * the JSON and event-stream routes opt out (`helmet: false`), they are no documents.
 */
export async function paymentPageRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  const theme = themeFor(ctx.config);

  /**
   * The page of an order that can no longer be paid here: final, or past its expiry (answered
   * 410). Paid: the result, moving on to `continueHref`. Otherwise the failure page, whose way
   * back is the signed return_url redirect (status cancel_or_fail), else backPage_url.
   */
  const endPage = async (session: Extract<PaymentSession, { kind: 'final' | 'expired' }>, nonce: string, language: Language, scriptNonce: string) => {
    const { order } = session;
    const expired = session.kind === 'expired';
    const redirectUrl = expired ? await signedReturnUrl(order) : session.redirectUrl;
    const outcome = outcomeOf(order, expired);
    return renderResultPage({
      order,
      organisationName: expired ? await organisationNameOf(order) : session.organisationName,
      language,
      theme,
      outcome,
      continueHref: outcome === 'paid' && redirectUrl ? (expired ? redirectUrl : `/pay/${nonce}`) : undefined,
      returnHref: redirectUrl ?? order.backpage_url ?? undefined,
      scriptNonce,
    });
  };
  const signedReturnUrl = async (order: OrderRecord) => {
    const user = await ctx.credentials.findUser(order.user_id);
    return user ? returnRedirectUrl(order, outgoingKey(user, ctx.clock())) : undefined;
  };
  const organisationNameOf = async (order: OrderRecord) => (await findOrganisationName(ctx.store.db, Number(order.organisation_id))) ?? '';

  app.get<PayRoute>('/pay/:nonce', { config: { html: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const { nonce } = request.params;
    const device = detectDevice(request.headers['user-agent']);
    const query = request.query ?? {};
    const session = await loadPaymentSession(ctx, nonce, paymentContextOf(device, request.headers['user-agent']), {
      code: typeof query.code === 'string' ? query.code : undefined,
      state: typeof query.state === 'string' ? query.state : undefined,
      cookie: cookieOf(request.headers.cookie, OAUTH_COOKIE),
    });
    if (session.kind === 'unknown') return reply.code(404).type(HTML).send(renderMessagePage(request, 'notFound', 404));
    if (session.kind === 'moved') return reply.redirect(`/pay/${session.nonce}${queryStringOf(request.url)}`, 302);
    // Inside WeChat: through the official account's OAuth first, and back here with the payer's code.
    const cookieAttributes = `Path=/pay/${nonce}; HttpOnly; SameSite=Lax${ctx.config.publicUrl.startsWith('https:') ? '; Secure' : ''}`;
    if (session.kind === 'identify') {
      reply.header('set-cookie', `${OAUTH_COOKIE}=${session.cookie}; Max-Age=600; ${cookieAttributes}`);
      return reply.redirect(session.redirectUrl, 302);
    }
    if (session.kind === 'pending' && session.identified) {
      // The code is used: the page goes on at its own address, where its reloads find the in-app attempt.
      reply.header('set-cookie', `${OAUTH_COOKIE}=; Max-Age=0; ${cookieAttributes}`);
      return reply.redirect(`/pay/${nonce}${typeof query.lang === 'string' ? `?lang=${encodeURIComponent(query.lang)}` : ''}`, 302);
    }
    const language = pickLanguage(request);
    if (session.kind === 'expired') {
      return reply.code(410).type(HTML).send(await endPage(session, request.params.nonce, language, reply.cspNonce.script));
    }
    if (session.kind === 'final') {
      if (session.redirectUrl) return reply.redirect(session.redirectUrl, 302);
      return reply.type(HTML).send(await endPage(session, request.params.nonce, language, reply.cspNonce.script));
    }
    if (session.kind === 'review') return reply.type(HTML).send(renderMessagePage(request, 'underReview', 200));
    const body = await renderPaymentPage({
      order: session.order,
      organisationName: session.organisationName,
      qrUrl: session.qrUrl,
      nextAction: session.nextAction,
      nonce: request.params.nonce,
      language,
      device,
      now: ctx.clock(),
      sandbox: session.order.channel === SANDBOX_CHANNEL,
      theme,
      scriptNonce: reply.cspNonce.script,
      // An invoice's order leads back to the invoice's page, where another method can be picked.
      ...(session.order.backpage_url?.startsWith(`${ctx.config.publicUrl}/invoice/`) ? { backLabel: invoiceStringsFor(language).otherMethod } : {}),
    });
    return reply.type(HTML).send(body);
  });

  app.get<NonceRoute>('/pay/:nonce/result', { config: { html: true } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    // A pending order's attempt is opened here as on the page itself: for the device that asks.
    const device = detectDevice(request.headers['user-agent']);
    const session = await loadPaymentSession(ctx, request.params.nonce, paymentContextOf(device, request.headers['user-agent']));
    if (session.kind === 'unknown') return reply.code(404).type(HTML).send(renderMessagePage(request, 'notFound', 404));
    if (session.kind === 'moved') return reply.redirect(`/pay/${session.nonce}/result`, 302);
    if (session.kind === 'pending' || session.kind === 'identify') return reply.redirect(`/pay/${request.params.nonce}`, 302);
    if (session.kind === 'review') return reply.type(HTML).send(renderMessagePage(request, 'underReview', 200));
    const page = await endPage(session, request.params.nonce, pickLanguage(request), reply.cspNonce.script);
    return reply.code(session.kind === 'expired' ? 410 : 200).type(HTML).send(page);
  });

  app.get<NonceRoute>('/pay/:nonce/status', { helmet: false }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const order = await findOrderByNonce(ctx.store.db, request.params.nonce);
    if (!order) return reply.code(404).send({ status: 'unknown' });
    return { status: order.status };
  });

  // Each open stream holds a connection (a file descriptor) for minutes: they are counted per
  // order and per client address, and a stream past either limit is refused (429); the page
  // then polls /status instead.
  const streamsPerOrder = new CountLimit(ctx.config.payStreamsPerOrder);
  const streamsPerAddress = new CountLimit(ctx.config.payStreamsPerAddress);

  app.get<NonceRoute>('/pay/:nonce/events', { helmet: false }, async (request, reply) => {
    const order = await findOrderByNonce(ctx.store.db, request.params.nonce);
    if (!order) return reply.code(404).send({ status: 'unknown' });
    const orderId = order.order_id;
    const releaseOrder = streamsPerOrder.take(orderId);
    const releaseAddress = releaseOrder && streamsPerAddress.take(addressKey(request.ip));
    if (!releaseOrder || !releaseAddress) {
      releaseOrder?.();
      reply.header('cache-control', 'no-store');
      throw new TooManyRequestsError(
        `too many live-status streams ${releaseOrder ? 'from this address' : 'for this order'}; poll /pay/{nonce}/status instead`,
        STREAM_RETRY_AFTER_SECONDS,
      );
    }
    reply.hijack();
    const res = reply.raw;
    let last: string | undefined;
    let closed = false;
    const close = () => {
      if (closed) return;
      closed = true;
      unsubscribe();
      clearInterval(heartbeat);
      clearTimeout(lifetime);
      ctx.shutdown.removeEventListener('abort', close);
      releaseOrder();
      releaseAddress();
      res.end();
    };
    const check = async () => {
      if (closed) return;
      try {
        const status = (await findOrderStatus(ctx.store.db, orderId)) ?? 'unknown';
        if (closed) return;
        if (status !== last) {
          last = status;
          res.write(`data: ${JSON.stringify({ status })}\n\n`);
        }
        if (status === 'unknown' || isFinal(status as OrderStatus)) close();
      } catch (error) {
        request.log.error({ err: error }, 'payment page status stream failed');
        close();
      }
    };
    // Everything that close() undoes is in place before anything can fail or call it.
    const unsubscribe = ctx.events.subscribe(orderId, () => void check());
    const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
    // Until the order expires (the page reloads then), and no longer than PAY_STREAM_MAX_SECONDS:
    // the page's script polls /status after a stream ends.
    const untilExpiry = Math.max(1_000, Number(order.expires_at) - ctx.clock() + 5_000);
    const lifetime = setTimeout(close, Math.min(untilExpiry, ctx.config.payStreamMaxSeconds * 1000));
    res.once('close', close);
    ctx.shutdown.addEventListener('abort', close, { once: true });
    // A client gone while the order was looked up has already closed: it must not keep its slots.
    if (request.raw.socket.destroyed) return close();
    try {
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-store',
        'x-accel-buffering': 'no',
      });
    } catch (error) {
      request.log.error({ err: error }, 'payment page status stream failed');
      close();
      return;
    }
    await check();
  });
}

/** Where the customer is, as the providers' payment context names it (a phone's OS too, for Antom's cashier). */
function paymentContextOf(device: Device, userAgent: string | undefined): Pick<PaymentContext, 'device' | 'os'> {
  const ua = userAgent ?? '';
  const os = /iPhone|iPad|iPod/i.test(ua) ? 'ios' : /Android|HarmonyOS/i.test(ua) ? 'android' : undefined;
  return { device: device === 'wechat-app' ? 'wechat' : device === 'alipay-app' ? 'alipay' : device, ...(os ? { os } : {}) };
}

/** One cookie's value from a Cookie header. */
function cookieOf(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** The `?…` of a request's URL, or nothing. */
function queryStringOf(url: string): string {
  const at = url.indexOf('?');
  return at < 0 ? '' : url.slice(at);
}
