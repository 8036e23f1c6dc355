import { randomBytes } from 'node:crypto';
import { formatAmount } from '../../domain/money.js';
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
  type PaymentRejection,
  type PaymentReport,
  type ProviderCapabilities,
  type ProviderEvent,
  type RawNotification,
  type ReceivedNotification,
  type RefundRef,
  type RefundReport,
  type RefundRequest,
} from '../provider.js';
import { SANDBOX_METHODS, sandboxFlowOf, sandboxOutcomesOf, type SandboxOutcome } from './sandbox-methods.js';

/** How a sandbox trade ended: paid, declined (closed), cancelled by the payer at the bank, rejected (PayID). */
export type SandboxTradeStatus = 'TRADE_SUCCESS' | 'TRADE_CLOSED' | 'TRADE_CANCELED' | 'TRADE_REJECTED';

/** The notification the sandbox provider sends the gateway, like a real provider's (HMAC-signed JSON). */
export interface SandboxNotification {
  event_id: string;
  trade_no: string;
  /** The gateway's attempt id. */
  out_trade_no: string;
  trade_status: SandboxTradeStatus;
  total_amount: number;
  currency: string;
  gmt_payment: number;
  /** The bank the payer chose (NZ banks, POLi), when known. */
  bank?: string;
  /** A rejected PayID payment: why, and the reference that was blocked. */
  message?: string;
  block_data?: string;
  sign: string;
}

/** What a trade ended with besides its status (the `detail` column, JSON). */
export interface SandboxTradeDetail {
  bank?: string;
  message?: string;
  blockData?: string;
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
/** Signed after the others, each only when present (a notification of a wallet payment has none). */
const OPTIONAL_SIGNED_FIELDS = ['bank', 'block_data', 'message'] as const;
const TRADE_STATUSES: readonly string[] = ['TRADE_SUCCESS', 'TRADE_CLOSED', 'TRADE_CANCELED', 'TRADE_REJECTED'] satisfies SandboxTradeStatus[];
const STATUS_OF_OUTCOME: Record<SandboxOutcome, SandboxTradeStatus> = {
  paid: 'TRADE_SUCCESS',
  failed: 'TRADE_CLOSED',
  canceled: 'TRADE_CANCELED',
  rejected: 'TRADE_REJECTED',
};
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
 * A built-in provider that behaves like the payer's wallet app or bank and moves no money:
 * Alipay and WeChat trades have a QR that opens a "sandbox Alipay/WeChat" page, where a
 * tester confirms or declines; NZ banks and POLi send the payer to a bank list and the
 * chosen bank's page (approve, decline, cancel), UnionPay to its card page; PayID shows a
 * PayID and a reference to pay, which a sandbox bank app pays or gets rejected. The outcome
 * reaches the gateway as a signed notification, verified like any provider's. Behind the
 * provider interface like the real ones, so everything above it is the same.
 */
export class SandboxProvider implements PaymentProvider {
  readonly name = 'sandbox';
  readonly capabilities: ProviderCapabilities = {
    methods: SANDBOX_METHODS,
    flows: ['qr', 'redirect', 'instructions', 'barcode', 'in_app'],
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
    const flow = sandboxFlowOf(request.method);
    if (flow === undefined) throw new ProviderError('not_done', `the sandbox does not serve ${request.method}`);
    if (flow !== 'wallet' && request.context.purpose === 'merchant_qr') {
      throw new ProviderError('not_done', `${request.method} has no QR for a merchant's screen`);
    }
    const trade = await this.#openTrade(request, now);
    const providerPaymentId = trade.trade_no;
    switch (flow) {
      case 'wallet':
        return { flow: 'qr', nextAction: { type: 'show_qr', qrContent: this.walletUrl(trade.trade_no) }, providerPaymentId };
      case 'bank':
        return { flow: 'redirect', nextAction: { type: 'redirect', url: this.bankListUrl(trade.trade_no) }, providerPaymentId };
      case 'unionpay':
        return { flow: 'redirect', nextAction: { type: 'redirect', url: this.unionPayUrl(trade.trade_no) }, providerPaymentId };
      case 'payid':
        return { flow: 'instructions', nextAction: { type: 'show_instructions', instructions: this.payIdInstructions(trade) }, providerPaymentId };
    }
  }

  /**
   * What a PayID payer is told: the PayID (one per trade, as Latipay gives one per order),
   * the reference to type, the amount, and, the sandbox's own, the page of a sandbox bank
   * app that pays it. Derived from the trade number with the signing key: stable, unguessable.
   */
  payIdInstructions(trade: Pick<SandboxTradeRecord, 'trade_no' | 'amount_minor' | 'currency'>): Record<string, string> {
    const digest = hmacHex(this.#deps.signingKey, `payid:${trade.trade_no}`);
    return {
      payId: `sbx.${digest.slice(0, 8)}@payid.example`,
      reference: `LP${digest.slice(8, 16).toUpperCase()}`,
      amount: formatAmount(Number(trade.amount_minor)),
      currency: trade.currency,
      sandboxPayerUrl: this.payIdPayerUrl(trade.trade_no),
    };
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

  /** The bank list of an NZ banks or POLi trade. */
  bankListUrl(tradeNo: string): string {
    return `${this.#deps.publicUrl}/sandbox/bank/${tradeNo}`;
  }

  unionPayUrl(tradeNo: string): string {
    return `${this.#deps.publicUrl}/sandbox/unionpay/${tradeNo}`;
  }

  /** The sandbox bank app that pays a PayID trade. */
  payIdPayerUrl(tradeNo: string): string {
    return `${this.#deps.publicUrl}/sandbox/payid/${tradeNo}`;
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
   * The customer confirmed (`paid`) or declined (`failed`) in the sandbox wallet or bank,
   * cancelled at the bank (`canceled`), or the PayID payment was rejected (`rejected`, with
   * its `rejection`). The trade settles once; settling it again sends the same outcome again
   * (a provider's retry). `bank`: the bank the payer chose, kept with the trade. `notify:
   * false` settles it without telling the gateway (a lost notification, for tests: only a
   * query finds it). An outcome the trade's method cannot have (a wallet app's cancel) is refused.
   */
  async settle(
    tradeNo: string,
    outcome: SandboxOutcome,
    options: { notify?: boolean; bank?: string; rejection?: PaymentRejection } = {},
  ): Promise<SandboxNotification & { readonly delivered?: string }> {
    const { db, clock } = this.#deps;
    // Every method can be paid or fail; the other outcomes are checked against the trade's method.
    if (outcome === 'canceled' || outcome === 'rejected') {
      const open = await findSandboxTrade(db, tradeNo);
      if (!open) throw new ProviderError('not_done', `unknown sandbox trade ${tradeNo}`);
      if (!sandboxOutcomesOf(open.method).includes(outcome)) throw new ProviderError('not_done', `a ${open.method} payment cannot end ${outcome}`);
    }
    const detail: SandboxTradeDetail = {
      ...(options.bank !== undefined ? { bank: options.bank } : {}),
      ...(outcome === 'rejected' ? { message: options.rejection?.message ?? '', ...(options.rejection?.blockData !== undefined ? { blockData: options.rejection.blockData } : {}) } : {}),
    };
    const settled = await settleOpenSandboxTrade(db, tradeNo, STATUS_OF_OUTCOME[outcome], clock(), Object.keys(detail).length > 0 ? JSON.stringify(detail) : null);
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
    const detail = detailOf(trade);
    return this.signNotification({
      event_id: `${trade.trade_no}:${trade.status}`,
      trade_no: trade.trade_no,
      out_trade_no: trade.out_trade_no,
      trade_status: trade.status as SandboxTradeStatus,
      total_amount: Number(trade.amount_minor),
      currency: trade.currency,
      gmt_payment: Number(trade.updated_at),
      ...(detail.bank !== undefined ? { bank: detail.bank } : {}),
      ...(detail.message !== undefined ? { message: detail.message } : {}),
      ...(detail.blockData !== undefined ? { block_data: detail.blockData } : {}),
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
    for (const field of OPTIONAL_SIGNED_FIELDS) if (n[field] !== undefined && typeof n[field] !== 'string') throw reject(`${field} must be a string`);
    if (typeof n.sign !== 'string' || !signaturesEqual(this.#sign(n as SandboxNotification), n.sign)) throw reject('the notification signature is wrong');
    if (!TRADE_STATUSES.includes(String(n.trade_status))) throw reject(`unknown trade_status ${String(n.trade_status)}`);
    if (!Number.isSafeInteger(n.total_amount) || !Number.isSafeInteger(n.gmt_payment)) throw reject('total_amount and gmt_payment must be integers');
    return n as SandboxNotification;
  }

  #sign(fields: Omit<SandboxNotification, 'sign'>): string {
    const signed = SIGNED_FIELDS.map((k) => `${k}=${String(fields[k])}`);
    for (const k of OPTIONAL_SIGNED_FIELDS) if (fields[k] !== undefined) signed.push(`${k}=${fields[k]}`);
    return hmacHex(this.#deps.signingKey, signed.join('&'));
  }
}

/** A trade's detail column, read leniently (a trade from before the column has none). */
export function detailOf(trade: Pick<SandboxTradeRecord, 'detail'>): SandboxTradeDetail {
  if (!trade.detail) return {};
  try {
    return JSON.parse(trade.detail) as SandboxTradeDetail;
  } catch {
    return {};
  }
}

const STATE_OF_STATUS: Record<string, PaymentReport['state']> = {
  TRADE_SUCCESS: 'paid',
  TRADE_CLOSED: 'failed',
  TRADE_CANCELED: 'canceled',
  TRADE_REJECTED: 'rejected',
};

function rejectionOf(state: PaymentReport['state'], message: string | undefined, blockData: string | undefined): { rejection?: PaymentRejection } {
  if (state !== 'rejected') return {};
  return { rejection: { message: message ?? '', ...(blockData !== undefined ? { blockData } : {}) } };
}

function reportOf(trade: SandboxTradeRecord, at: number): PaymentReport {
  const state = STATE_OF_STATUS[trade.status] ?? 'pending';
  const detail = detailOf(trade);
  return {
    attemptId: trade.out_trade_no,
    state,
    providerPaymentId: trade.trade_no,
    amountMinor: Number(trade.amount_minor),
    currency: trade.currency,
    occurredAt: Number(at),
    ...rejectionOf(state, detail.message, detail.blockData),
  };
}

function eventOf(n: SandboxNotification): ProviderEvent {
  const state = STATE_OF_STATUS[n.trade_status] ?? 'failed';
  return {
    kind: 'payment',
    eventId: n.event_id,
    report: {
      attemptId: n.out_trade_no,
      state,
      providerPaymentId: n.trade_no,
      amountMinor: n.total_amount,
      currency: n.currency,
      occurredAt: n.gmt_payment,
      ...rejectionOf(state, n.message, n.block_data),
      // Kept with the attempt for the audit trail: the bank chosen, a rejection's reason.
      ...(n.bank !== undefined || n.message !== undefined ? { raw: { trade_status: n.trade_status, bank: n.bank, message: n.message, block_data: n.block_data } } : {}),
    },
  };
}
