import { randomBytes } from 'node:crypto';
import { formatAmount } from '../../domain/money.js';
import type { PaymentMethod } from '../../domain/payment-methods.js';
import { hmacHex, signaturesEqual } from '../../domain/signature.js';
import type { Db } from '../../store/store.js';
import {
  closeOpenSandboxTrade,
  findSandboxTrade,
  findSandboxTradeByOutTradeNo,
  findSandboxTradeOfOrder,
  insertSandboxTrade,
  setSandboxTradeStatus,
  settleOpenSandboxTrade,
  type SandboxTradeRecord,
} from '../../store/sandbox-trades.js';
import {
  NotificationRejectedError,
  ProviderError,
  type AttemptRef,
  type ChargeCodeRequest,
  type CreatePaymentRequest,
  type CreatedPayment,
  type NotificationAck,
  type PaymentProvider,
  type PaymentReport,
  type ProviderCapabilities,
  type ProviderEvent,
  type RawNotification,
  type ReceivedNotification,
  type RefundRef,
  type RefundReport,
  type RefundRequest,
} from '../provider.js';

/** The notification the sandbox provider sends the gateway, like a real provider's (HMAC-signed JSON). */
export interface SandboxNotification {
  event_id: string;
  trade_no: string;
  /** The gateway's attempt id. */
  out_trade_no: string;
  trade_status: 'TRADE_SUCCESS' | 'TRADE_CLOSED';
  total_amount: number;
  currency: string;
  gmt_payment: number;
  sign: string;
}

/** A refund whose reference contains this is refused by the sandbox provider (for tests). */
export const SANDBOX_FAIL_REFUND = 'sandbox:fail-refund';
/** …is accepted as processing, and succeeds when asked again (a provider's asynchronous refund). */
export const SANDBOX_REFUND_PROCESSING = 'sandbox:refund-processing';
/** …is accepted as processing, and fails when asked again (refused after acceptance). */
export const SANDBOX_REFUND_PROCESSING_FAILS = 'sandbox:refund-processing-fails';

/**
 * What the sandbox does with a barcode payment, by the pay code's last digit: 0–5 pay at
 * once, 6 is declined, 7 and 8 wait for the customer (pending) and then pay or fail after
 * `barcodePendingMs`, 9 makes the provider fail (nothing is charged).
 */
export type SandboxCodeBehaviour = 'paid' | 'declined' | 'pending-then-paid' | 'pending-then-failed' | 'provider-error';

export function sandboxCodeBehaviour(payCode: string): SandboxCodeBehaviour {
  const digit = payCode.slice(-1);
  if (digit === '6') return 'declined';
  if (digit === '7') return 'pending-then-paid';
  if (digit === '8') return 'pending-then-failed';
  if (digit === '9') return 'provider-error';
  return 'paid';
}

const SIGNED_FIELDS = ['currency', 'event_id', 'gmt_payment', 'out_trade_no', 'total_amount', 'trade_no', 'trade_status'] as const;
const ACK: NotificationAck = { status: 200, contentType: 'text/plain; charset=utf-8', body: 'success' };
const FAIL_ACK: NotificationAck = { status: 400, contentType: 'text/plain; charset=utf-8', body: 'fail' };

export interface SandboxProviderDeps {
  db: Db;
  publicUrl: string;
  /** The key the sandbox signs its notifications with (derived from SECRET_KEY). */
  signingKey: string;
  clock: () => number;
  /**
   * How the sandbox's notifications reach the gateway (in process, as verified events);
   * answers what became of each, when it knows.
   */
  deliver: (events: readonly ProviderEvent[]) => Promise<readonly string[] | void>;
  /** How long a pending barcode payment waits before the sandbox customer settles it (default 3000). */
  barcodePendingMs?: number;
  /** Told when a delayed settlement fails (it runs on a timer, with no caller to answer). */
  onError?: (error: unknown, context: string) => void;
}

/**
 * A built-in provider that behaves like a wallet app and moves no money: its trades have a
 * QR that opens a "sandbox Alipay/WeChat" page, where a tester confirms or declines; the
 * outcome reaches the gateway as a signed notification, verified like any provider's.
 * Behind the provider interface like the real ones, so everything above it is the same.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  readonly capabilities: ProviderCapabilities = {
    methods: ['alipay', 'wechat'] satisfies PaymentMethod[],
    flows: ['qr', 'barcode', 'in_app'],
    currencies: 'any',
    partialRefunds: true,
    miniPrograms: ['alipay', 'wechat'],
  };
  readonly #deps: SandboxProviderDeps;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(deps: SandboxProviderDeps) {
    this.#deps = deps;
  }

  async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const now = this.#deps.clock();
    if (request.context.purpose === 'mini_program') return this.#miniProgram(request, now);
    const trade = await this.#openTrade(request, now);
    return { flow: 'qr', nextAction: { type: 'show_qr', qrContent: this.walletUrl(trade.trade_no) }, providerPaymentId: trade.trade_no };
  }

  /**
   * A mini program's payment: what the merchant's mini program hands the wallet, in the
   * wallet's own shape: for WeChat wx.requestPayment's parameters (`package` names the
   * trade as its prepay_id), for Alipay my.tradePay's orderStr fields (Alipay's
   * create_forex_trade_wap, `return_url` the trade's sandbox wallet page). The sandbox holds
   * no merchant key: `signType`/`sign_type` say how the gateway signs them, with the
   * merchant's api_key (docs/mini-programs.md). The trade is paid like any other, from its
   * wallet page or `POST /sandbox/orders/{order_id}`.
   */
  async #miniProgram(request: CreatePaymentRequest, now: number): Promise<CreatedPayment> {
    const { context } = request;
    if (request.method === 'wechat' && (!context.payerAppId || !context.payerOpenId)) {
      throw new ProviderError('not_done', "a WeChat mini program payment needs the mini program's appid and its user's openid");
    }
    const trade = await this.#openTrade(request, now);
    if (request.method === 'wechat') {
      const params = {
        appId: context.payerAppId as string,
        timeStamp: String(Math.floor(now / 1000)),
        nonceStr: randomBytes(16).toString('hex'),
        package: `prepay_id=${trade.trade_no}`,
        signType: 'HMAC-SHA256',
      };
      return { flow: 'in_app', nextAction: { type: 'open_wallet', wallet: 'wechat_jsapi', params }, providerPaymentId: trade.trade_no };
    }
    const params = {
      service: 'create_forex_trade_wap',
      partner: 'sandbox',
      _input_charset: 'UTF-8',
      sign_type: 'HMAC-SHA256',
      notify_url: request.notifyUrl,
      return_url: this.walletUrl(trade.trade_no),
      subject: request.subject,
      body: request.subject,
      out_trade_no: request.attemptId,
      currency: request.currency,
      total_fee: formatAmount(request.amountMinor),
      product_code: 'NEW_WAP_OVERSEAS_SELLER',
      app_pay: 'Y',
    };
    return { flow: 'in_app', nextAction: { type: 'open_wallet', wallet: 'alipay', params }, providerPaymentId: trade.trade_no };
  }

  /** Opens the attempt's trade, once: a retry of the same attempt keeps its first trade. */
  async #openTrade(request: Pick<CreatePaymentRequest, 'attemptId' | 'method' | 'amountMinor' | 'currency' | 'subject'>, now: number): Promise<SandboxTradeRecord> {
    const { db } = this.#deps;
    const inserted = await insertSandboxTrade(db, {
      trade_no: 'SBX' + randomBytes(12).toString('hex'),
      out_trade_no: request.attemptId,
      method: request.method,
      amount_minor: request.amountMinor,
      currency: request.currency,
      subject: request.subject,
      status: 'WAIT_BUYER_PAY',
      created_at: now,
      updated_at: now,
    });
    const trade = inserted ?? (await findSandboxTradeByOutTradeNo(db, request.attemptId));
    if (!trade) throw new Error('sandbox trade vanished');
    return trade;
  }

  walletUrl(tradeNo: string): string {
    return `${this.#deps.publicUrl}/sandbox/wallet/${tradeNo}`;
  }

  findTrade(tradeNo: string): Promise<SandboxTradeRecord | undefined> {
    return findSandboxTrade(this.#deps.db, tradeNo);
  }

  /** The trade of the order's newest attempt. */
  findTradeOfOrder(orderId: string): Promise<SandboxTradeRecord | undefined> {
    return findSandboxTradeOfOrder(this.#deps.db, orderId);
  }

  async queryPayment(attempt: AttemptRef): Promise<PaymentReport> {
    const trade = await findSandboxTradeByOutTradeNo(this.#deps.db, attempt.attemptId);
    if (!trade) return { attemptId: attempt.attemptId, state: 'closed', occurredAt: this.#deps.clock() };
    return reportOf(trade, trade.updated_at);
  }

  async closePayment(attempt: AttemptRef): Promise<void> {
    await closeOpenSandboxTrade(this.#deps.db, attempt.attemptId, this.#deps.clock());
  }

  /**
   * The customer confirmed (`paid`) or declined (`failed`) in the sandbox wallet. The trade
   * settles once; settling it again sends the same outcome again (a provider's retry).
   * `notify: false` settles it without telling the gateway (a lost notification, for tests:
   * only a query finds it).
   */
  async settle(
    tradeNo: string,
    outcome: 'paid' | 'failed',
    options: { notify?: boolean } = {},
  ): Promise<SandboxNotification & { readonly delivered?: string }> {
    const { db, clock } = this.#deps;
    const settled = await settleOpenSandboxTrade(db, tradeNo, outcome === 'paid' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED', clock());
    const trade = settled ?? (await findSandboxTrade(db, tradeNo));
    if (!trade) throw new ProviderError('not_done', `unknown sandbox trade ${tradeNo}`);
    const notification = this.notificationOf(trade);
    if (options.notify === false || trade.status === 'WAIT_BUYER_PAY') return notification;
    // What settlement made of it (`applied`…), for a caller that would otherwise read the order again.
    const delivered = (await this.#deps.deliver([eventOf(notification)]))?.[0];
    return delivered === undefined ? notification : { ...notification, delivered };
  }

  /** The signed notification of a trade's current status. */
  notificationOf(trade: SandboxTradeRecord): SandboxNotification {
    return this.signNotification({
      event_id: `${trade.trade_no}:${trade.status}`,
      trade_no: trade.trade_no,
      out_trade_no: trade.out_trade_no,
      trade_status: trade.status as SandboxNotification['trade_status'],
      total_amount: Number(trade.amount_minor),
      currency: trade.currency,
      gmt_payment: Number(trade.updated_at),
    });
  }

  /**
   * Refunds instantly when the attempt's trade was paid and the amount fits in it. By the
   * refund's reference, for tests: `sandbox:fail-refund` is refused; `sandbox:refund-processing`
   * is accepted as processing and succeeds when asked again; `sandbox:refund-processing-fails`
   * is accepted and then fails. The refund id it answers is derived from ours: asking twice is harmless.
   */
  async refund(request: RefundRequest): Promise<RefundReport> {
    if (request.reason.includes(SANDBOX_FAIL_REFUND)) {
      return { refundId: request.refundId, state: 'failed', reason: `the reference asks the sandbox to refuse (${SANDBOX_FAIL_REFUND})` };
    }
    const trade = await findSandboxTradeByOutTradeNo(this.#deps.db, request.attemptId);
    if (!trade || trade.status !== 'TRADE_SUCCESS') return { refundId: request.refundId, state: 'failed', reason: 'the trade was not paid' };
    if (trade.currency !== request.currency || request.amountMinor > Number(trade.amount_minor)) {
      return { refundId: request.refundId, state: 'failed', reason: 'the refund does not fit in the trade' };
    }
    if (request.reason.includes(SANDBOX_REFUND_PROCESSING)) return { refundId: request.refundId, state: 'processing', providerRefundId: this.#refundNo(request.refundId) };
    return { refundId: request.refundId, state: 'succeeded', providerRefundId: this.#refundNo(request.refundId) };
  }

  async queryRefund(refund: RefundRef): Promise<RefundReport> {
    if (refund.reason.includes(SANDBOX_FAIL_REFUND)) return { refundId: refund.refundId, state: 'failed', reason: 'refused by the sandbox' };
    if (refund.reason.includes(SANDBOX_REFUND_PROCESSING_FAILS)) {
      return { refundId: refund.refundId, state: 'failed', reason: `refused after acceptance (${SANDBOX_REFUND_PROCESSING_FAILS})` };
    }
    return { refundId: refund.refundId, state: 'succeeded', providerRefundId: this.#refundNo(refund.refundId) };
  }

  #refundNo(refundId: string): string {
    return 'SBXR' + hmacHex(this.#deps.signingKey, `refund:${refundId}`).slice(0, 24);
  }

  /**
   * A barcode payment, decided by the pay code's last digit (sandboxCodeBehaviour). Immediate
   * outcomes are answered synchronously, like a provider's pay API; pending ones settle later
   * through the signed notification, like a customer confirming in their app.
   */
  async chargeCode(request: ChargeCodeRequest): Promise<PaymentReport> {
    const { db, clock } = this.#deps;
    const behaviour = sandboxCodeBehaviour(request.payCode);
    if (behaviour === 'provider-error') throw new ProviderError('not_done', 'the sandbox provider failed (pay code ending in 9); nothing was charged');
    const now = clock();
    const trade = await this.#openTrade(request, now);
    if (trade.status !== 'WAIT_BUYER_PAY') return reportOf(trade, Number(trade.updated_at));
    if (behaviour === 'paid' || behaviour === 'declined') {
      const status = behaviour === 'paid' ? 'TRADE_SUCCESS' : 'TRADE_CLOSED';
      await setSandboxTradeStatus(db, trade.trade_no, status, now);
      return reportOf({ ...trade, status }, now);
    }
    this.#settleLater(trade.trade_no, behaviour === 'pending-then-paid' ? 'paid' : 'failed');
    return reportOf(trade, now);
  }

  #settleLater(tradeNo: string, outcome: 'paid' | 'failed'): void {
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      this.settle(tradeNo, outcome).catch((error: unknown) => this.#deps.onError?.(error, `settling sandbox trade ${tradeNo}`));
    }, this.#deps.barcodePendingMs ?? 3_000);
    timer.unref();
    this.#timers.add(timer);
  }

  /** Drops pending barcode settlements (the app is closing); their orders stay pending until they expire. */
  stop(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
  }

  signNotification(fields: Omit<SandboxNotification, 'sign'>): SandboxNotification {
    return { ...fields, sign: this.#sign(fields) };
  }

  async receiveNotification(input: RawNotification): Promise<ReceivedNotification> {
    let body: unknown;
    try {
      body = JSON.parse(input.rawBody.toString('utf8'));
    } catch {
      throw new NotificationRejectedError('the notification is not JSON', FAIL_ACK);
    }
    return { events: [eventOf(this.#verify(body))], ack: ACK, failAck: FAIL_ACK };
  }

  #verify(body: unknown): SandboxNotification {
    const reject = (reason: string) => new NotificationRejectedError(reason, FAIL_ACK);
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw reject('the notification must be an object');
    const n = body as Partial<SandboxNotification>;
    for (const field of SIGNED_FIELDS) if (n[field] === undefined || n[field] === null) throw reject(`the notification lacks ${field}`);
    if (typeof n.sign !== 'string' || !signaturesEqual(this.#sign(n as SandboxNotification), n.sign)) throw reject('the notification signature is wrong');
    if (n.trade_status !== 'TRADE_SUCCESS' && n.trade_status !== 'TRADE_CLOSED') throw reject(`unknown trade_status ${String(n.trade_status)}`);
    if (!Number.isSafeInteger(n.total_amount) || !Number.isSafeInteger(n.gmt_payment)) throw reject('total_amount and gmt_payment must be integers');
    return n as SandboxNotification;
  }

  #sign(fields: Omit<SandboxNotification, 'sign'>): string {
    return hmacHex(this.#deps.signingKey, SIGNED_FIELDS.map((k) => `${k}=${String(fields[k])}`).join('&'));
  }
}

function reportOf(trade: SandboxTradeRecord, at: number): PaymentReport {
  const state = trade.status === 'TRADE_SUCCESS' ? 'paid' : trade.status === 'TRADE_CLOSED' ? 'failed' : 'pending';
  return {
    attemptId: trade.out_trade_no,
    state,
    providerPaymentId: trade.trade_no,
    amountMinor: Number(trade.amount_minor),
    currency: trade.currency,
    occurredAt: Number(at),
  };
}

function eventOf(n: SandboxNotification): ProviderEvent {
  return {
    kind: 'payment',
    eventId: n.event_id,
    report: {
      attemptId: n.out_trade_no,
      state: n.trade_status === 'TRADE_SUCCESS' ? 'paid' : 'failed',
      providerPaymentId: n.trade_no,
      amountMinor: n.total_amount,
      currency: n.currency,
      occurredAt: n.gmt_payment,
    },
  };
}
