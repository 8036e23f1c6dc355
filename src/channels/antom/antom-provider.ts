import type { PaymentMethod } from '../../domain/payment-methods.js';
import type { OpenedAccount } from '../provider-registry.js';
import {
  ProviderError,
  type AttemptRef,
  type ChargeCodeRequest,
  type CreatePaymentRequest,
  type CreatedPayment,
  type PaymentContext,
  type PaymentProvider,
  type PaymentReport,
  type ProviderCapabilities,
  type RawNotification,
  type ReceivedNotification,
  type RefundRef,
  type RefundReport,
  type RefundRequest,
} from '../provider.js';
import { credentialsOf, type AntomCredentials } from './antom-account.js';
import { toAntomAmount, type AntomAmount } from './antom-amounts.js';
import { AntomClient, type AntomAnswer } from './antom-client.js';
import { eventsOf, receivedNotification, verifyNotification } from './antom-notifications.js';
import { inquiryReport, isoTime, paidReport, refundReportOf, unpaidReport } from './antom-reports.js';
import { describeResult, errorOfResult } from './antom-results.js';

export interface AntomProviderOptions {
  /** One call's limit (default 10 s). */
  readonly timeoutMs?: number;
  readonly clock?: () => number;
  /** How far a notification's Request-Time may be from our clock (default 5 minutes). */
  readonly notificationToleranceMs?: number;
  /** The pause before inquiring about a pay-code charge whose answer was unknown (default 2 s; the docs inquire every 3 s). */
  readonly inquiryDelayMs?: number;
}

/** Alipay CN, online (Cashier Payment). */
const ONLINE_METHOD = 'ALIPAY_CN';
/** In store, Antom's SDKs send CONNECT_WALLET: Alipay+ takes Alipay CN and the other Alipay+ wallets' codes. */
const IN_STORE_METHOD = 'CONNECT_WALLET';
/** The MCC sent for in-store payments when none is configured (miscellaneous retail, as WeChat Pay's default). */
const DEFAULT_MCC = '5999';

/**
 * Alipay through Antom (Alipay's global acquiring API, /ams/api/v1/payments/*), for one
 * account: docs/providers/antom-protocol.md is the protocol, docs/providers/antom.md the
 * operator's guide.
 *
 * - The hosted page pays with Cashier Payment: the customer is sent to Alipay's cashier
 *   (`redirect`), the link chosen by where they are (PC, phone browser, Alipay's own app).
 * - A merchant's own screen (gatewaydata) shows an in-store order code (`show_qr`).
 * - A barcode payment charges the customer's code (in-store, user-presented code).
 *
 * Every id Antom keeps idempotent is ours: `paymentRequestId` is the attempt id,
 * `refundRequestId` the refund id, so a repeated request never pays or refunds twice.
 */
export class AntomProvider implements PaymentProvider {
  readonly name = 'antom';
  readonly capabilities: ProviderCapabilities = {
    methods: ['alipay'] satisfies PaymentMethod[],
    flows: ['redirect', 'qr', 'barcode'],
    // Antom takes the currencies of the merchant's contract; a currency outside it is refused at pay.
    currencies: 'any',
    // "A transaction can have multiple refunds as long as the total refund amount is less than or equal to the original."
    partialRefunds: true,
  };
  readonly #client: AntomClient;
  readonly #credentials: AntomCredentials;
  readonly #account: Pick<OpenedAccount, 'walletId' | 'notifyUrl'>;
  readonly #clock: () => number;
  readonly #toleranceMs: number;
  readonly #inquiryDelayMs: number;

  constructor(account: Pick<OpenedAccount, 'walletId' | 'notifyUrl' | 'config' | 'secrets'>, options: AntomProviderOptions = {}) {
    this.#credentials = credentialsOf(account);
    this.#clock = options.clock ?? Date.now;
    this.#client = new AntomClient(this.#credentials, { timeoutMs: options.timeoutMs, clock: this.#clock });
    this.#account = account;
    this.#toleranceMs = options.notificationToleranceMs ?? 5 * 60_000;
    this.#inquiryDelayMs = options.inquiryDelayMs ?? 2_000;
  }

  // ---------------------------------------------------------------------------------------
  // Paying

  async createPayment(request: CreatePaymentRequest): Promise<CreatedPayment> {
    const amount = this.#amountOf(request.amountMinor, request.currency);
    if (request.context.purpose === 'merchant_qr') return this.#orderCode(request, amount);
    return this.#cashier(request, amount);
  }

  /** Cashier Payment: `U`/PAYMENT_IN_PROCESS with the cashier's links is the normal answer. */
  async #cashier(request: CreatePaymentRequest, amount: AntomAmount): Promise<CreatedPayment> {
    const { context } = request;
    const terminalType = context.device === 'pc' ? 'WEB' : 'WAP';
    const body: Record<string, unknown> = {
      productCode: 'CASHIER_PAYMENT',
      paymentRequestId: request.attemptId,
      order: {
        orderAmount: amount,
        orderDescription: description(request.subject, request.orderId),
        referenceOrderId: request.orderId,
      },
      paymentAmount: amount,
      paymentMethod: { paymentMethodType: ONLINE_METHOD },
      paymentRedirectUrl: context.returnUrl,
      paymentNotifyUrl: request.notifyUrl,
      env: this.#env(context, terminalType),
      ...this.#expiry(request.expiresAt),
      ...this.#region(),
    };
    // A lost answer is asked again with the same request: Antom answers the same payment, never a second one.
    const answer = await this.#repeatOnce(() => this.#client.call('pay', body));
    const { result } = answer;
    if (result.resultStatus === 'F') throw errorOfResult('pay', result);
    if (result.resultStatus === 'U' && result.resultCode !== 'PAYMENT_IN_PROCESS') throw errorOfResult('pay', result);
    const url = this.#cashierLink(answer.body, context.device);
    if (!url) throw new ProviderError('unknown', `Antom pay: ${describeResult(result)} without a usable cashier link for a ${context.device} customer`);
    return {
      flow: 'redirect',
      nextAction: { type: 'redirect', url },
      ...(typeof answer.body.paymentId === 'string' ? { providerPaymentId: answer.body.paymentId } : {}),
      raw: answer.body,
    };
  }

  /**
   * The link for where the customer is (Antom's "best practices for the redirection URL"):
   * on a PC `normalUrl` (Alipay's QR page); in a phone's browser `applinkUrl` (opens Alipay
   * when installed, else a page), else `normalUrl` (a page that opens Alipay), else
   * `schemeUrl`; inside Alipay's own app `schemeUrl` (Alipay opens its cashier in place),
   * else `normalUrl`.
   */
  #cashierLink(body: Record<string, unknown>, device: PaymentContext['device']): string | undefined {
    const form = typeof body.redirectActionForm === 'object' && body.redirectActionForm !== null ? (body.redirectActionForm as Record<string, unknown>).redirectUrl : undefined;
    const links = { normal: body.normalUrl ?? form, applink: body.applinkUrl, scheme: body.schemeUrl };
    const order = device === 'pc' ? [links.normal] : device === 'alipay' ? [links.scheme, links.normal, links.applink] : [links.applink, links.normal, links.scheme];
    return order.find((link): link is string => typeof link === 'string' && this.#safeLink(link));
  }

  /** Only https links (http on a test double's loopback) and Alipay's own schemes are handed to a browser. */
  #safeLink(link: string): boolean {
    let url: URL;
    try {
      url = new URL(link);
    } catch {
      return false;
    }
    if (url.protocol === 'https:' || url.protocol === 'alipays:' || url.protocol === 'alipay:') return true;
    return url.protocol === 'http:' && this.#credentials.baseUrl.startsWith('http://');
  }

  /** In-store Order Code: `S` means the code was issued, not that anyone paid. */
  async #orderCode(request: CreatePaymentRequest, amount: AntomAmount): Promise<CreatedPayment> {
    const body: Record<string, unknown> = {
      productCode: 'IN_STORE_PAYMENT',
      paymentRequestId: request.attemptId,
      order: { ...this.#inStoreOrder(request, amount), referenceOrderId: request.orderId },
      paymentAmount: amount,
      paymentMethod: { paymentMethodType: IN_STORE_METHOD },
      paymentFactor: { inStorePaymentScenario: 'OrderCode' },
      paymentNotifyUrl: request.notifyUrl,
      settlementStrategy: { settlementCurrency: amount.currency },
      ...this.#expiry(request.expiresAt),
      ...this.#region(),
    };
    const answer = await this.#repeatOnce(() => this.#client.call('pay', body, { inStore: true }));
    if (answer.result.resultStatus !== 'S') throw errorOfResult('pay', answer.result);
    const code = codeValueOf(answer.body);
    if (!code) throw new ProviderError('unknown', 'Antom pay: an order code answer without orderCodeForm.codeDetails');
    return {
      flow: 'qr',
      nextAction: { type: 'show_qr', qrContent: code },
      ...(typeof answer.body.paymentId === 'string' ? { providerPaymentId: answer.body.paymentId } : {}),
      raw: answer.body,
    };
  }

  /**
   * User-presented code (Antom's best practice for it): `S` paid; `F` declined; `U`/PAYMENT_IN_PROCESS
   * the customer confirms in Alipay (pending: the notification or the gateway's inquiries settle
   * it, and its expiry cancels it if it never ends). An unknown answer (`U`/UNKNOWN_EXCEPTION, a
   * timeout) is inquired about; when Antom has no such payment the request never landed, and it
   * is sent once more with the same paymentRequestId, so the customer is charged at most once.
   */
  async chargeCode(request: ChargeCodeRequest): Promise<PaymentReport> {
    const amount = this.#amountOf(request.amountMinor, request.currency);
    const now = this.#clock();
    const body: Record<string, unknown> = {
      productCode: 'IN_STORE_PAYMENT',
      paymentRequestId: request.attemptId,
      order: {
        ...this.#inStoreOrder(request, amount),
        referenceOrderId: request.orderId,
        env: { storeTerminalId: this.#account.walletId, storeTerminalRequestTime: isoTime(now) },
      },
      paymentAmount: amount,
      paymentMethod: { paymentMethodType: IN_STORE_METHOD, paymentMethodId: request.payCode },
      paymentFactor: { inStorePaymentScenario: 'PaymentCode' },
      paymentNotifyUrl: request.notifyUrl,
      settlementStrategy: { settlementCurrency: amount.currency },
      ...this.#region(),
    };
    for (let send = 1; ; send++) {
      let answer: AntomAnswer | undefined;
      let lost: ProviderError | undefined;
      try {
        answer = await this.#client.call('pay', body, { inStore: true });
      } catch (error) {
        if (!(error instanceof ProviderError) || error.outcome !== 'unknown') throw error;
        lost = error;
      }
      if (answer) {
        const { result } = answer;
        if (result.resultStatus === 'S') return paidReport(request.attemptId, answer.body, this.#clock());
        if (result.resultStatus === 'F') throw errorOfResult('pay', result);
        if (result.resultCode === 'PAYMENT_IN_PROCESS') return unpaidReport(request.attemptId, 'pending', answer.body, this.#clock());
        lost = errorOfResult('pay', result);
      }
      // Nothing learnt from the answer: ask what became of the payment. Whatever goes wrong
      // now, the charge's outcome stays unknown (never "nothing was charged").
      await sleep(this.#inquiryDelayMs);
      let inquiry: PaymentReport | 'not-found';
      try {
        inquiry = await this.#inquire({ attemptId: request.attemptId, providerPaymentId: null });
      } catch (error) {
        throw new ProviderError('unknown', `Antom pay: no answer, and the inquiry failed (${(error as Error).message})`, { cause: error });
      }
      if (inquiry !== 'not-found') return inquiry;
      if (send >= 2) throw new ProviderError('unknown', `Antom pay: no answer, and Antom has no payment ${request.attemptId} yet`, { cause: lost });
    }
  }

  async queryPayment(attempt: AttemptRef): Promise<PaymentReport> {
    const report = await this.#inquire(attempt);
    // Antom never had it (a pay that did not land): it can no longer be paid by this attempt.
    return report === 'not-found' ? { attemptId: attempt.attemptId, state: 'closed', occurredAt: this.#clock() } : report;
  }

  async #inquire(attempt: AttemptRef): Promise<PaymentReport | 'not-found'> {
    const answer = await this.#client.call('inquiryPayment', this.#paymentKey(attempt));
    const { result, body } = answer;
    if (result.resultStatus === 'F' && result.resultCode === 'ORDER_NOT_EXIST') return 'not-found';
    if (result.resultStatus !== 'S') throw errorOfResult('inquiryPayment', result);
    if (typeof body.paymentRequestId === 'string' && body.paymentRequestId !== attempt.attemptId) {
      throw new ProviderError('unknown', `Antom inquiryPayment answered about ${body.paymentRequestId}, not ${attempt.attemptId}`);
    }
    const report = inquiryReport(attempt.attemptId, body, this.#clock());
    if (!report) throw new ProviderError('unknown', `Antom inquiryPayment: paymentStatus ${JSON.stringify(body.paymentStatus ?? null)} is not one the gateway knows`);
    return report;
  }

  /**
   * Cancels an unpaid payment. Antom's cancel also gives back a *paid* one (in full, within the
   * cancel window), which closing must never do: the payment is inquired about first, and only
   * one still in process is cancelled. Resolves when it is closed or already final.
   */
  async closePayment(attempt: AttemptRef): Promise<void> {
    const state = await this.#inquire(attempt);
    if (state === 'not-found' || state.state !== 'pending') return;
    const answer = await this.#client.call('cancel', this.#paymentKey({ ...attempt, providerPaymentId: attempt.providerPaymentId ?? state.providerPaymentId ?? null }));
    const { result } = answer;
    if (result.resultStatus === 'S') return;
    // Already closed, failed or never there: nothing can be paid by it.
    if (result.resultStatus === 'F' && (result.resultCode === 'ORDER_NOT_EXIST' || result.resultCode === 'ORDER_IS_CLOSED')) return;
    throw errorOfResult('cancel', result);
  }

  // ---------------------------------------------------------------------------------------
  // Refunds

  /** Refunds with Antom's paymentId (learnt by an inquiry when the attempt does not have it yet). */
  async refund(request: RefundRequest): Promise<RefundReport> {
    const amount = this.#amountOf(request.amountMinor, request.currency);
    let paymentId = request.providerPaymentId;
    if (!paymentId) {
      const state = await this.#inquire({ attemptId: request.attemptId, providerPaymentId: null });
      paymentId = state === 'not-found' ? null : state.providerPaymentId ?? null;
      if (!paymentId) return { refundId: request.refundId, state: 'failed', reason: 'Antom has no payment for this attempt' };
    }
    const body: Record<string, unknown> = {
      refundRequestId: request.refundId,
      paymentId,
      refundAmount: amount,
      refundNotifyUrl: request.notifyUrl,
      ...(request.reason ? { refundReason: request.reason.slice(0, 256) } : {}),
    };
    const answer = await this.#client.call('refund', body);
    const { result } = answer;
    const providerRefundId = typeof answer.body.refundId === 'string' ? answer.body.refundId : undefined;
    const ids = { refundId: request.refundId, ...(providerRefundId ? { providerRefundId } : {}), raw: answer.body };
    if (result.resultStatus === 'S') return { ...ids, state: 'succeeded' };
    if (result.resultStatus === 'U' && result.resultCode === 'REFUND_IN_PROCESS') return { ...ids, state: 'processing' };
    const error = errorOfResult('refund', result);
    // A final refusal (over the refundable amount, out of the window, an unpaid payment) fails the refund.
    if (error.outcome === 'declined') return { ...ids, state: 'failed', reason: error.message };
    throw error;
  }

  async queryRefund(refund: RefundRef): Promise<RefundReport> {
    const answer = await this.#client.call('inquiryRefund', { refundRequestId: refund.refundId });
    const { result, body } = answer;
    if (result.resultStatus !== 'S') throw errorOfResult('inquiryRefund', result);
    const report = refundReportOf(refund.refundId, body);
    // "null when the refund record cannot be found": not a result; an operator looks at it.
    if (!report) throw new ProviderError('unknown', `Antom inquiryRefund: no refundStatus for ${refund.refundId}`);
    return report;
  }

  // ---------------------------------------------------------------------------------------
  // Notifications

  async receiveNotification(input: RawNotification): Promise<ReceivedNotification> {
    const url = new URL(this.#account.notifyUrl);
    const now = this.#clock();
    const body = verifyNotification(input, { credentials: this.#credentials, notifyPath: `${url.pathname}${url.search}`, toleranceMs: this.#toleranceMs, now });
    return receivedNotification(eventsOf(body, now));
  }

  // ---------------------------------------------------------------------------------------

  #amountOf(amountMinor: number, currency: string): AntomAmount {
    const amount = toAntomAmount(amountMinor, currency);
    if (!amount) throw new ProviderError('not_done', `Antom: ${currency} has no minor unit for ${amountMinor / 100}`);
    return amount;
  }

  #paymentKey(attempt: AttemptRef): Record<string, string> {
    // "If both are specified, paymentId takes precedence."
    return attempt.providerPaymentId ? { paymentId: attempt.providerPaymentId } : { paymentRequestId: attempt.attemptId };
  }

  #env(context: PaymentContext, terminalType: 'WEB' | 'WAP'): Record<string, string> {
    const env: Record<string, string> = { terminalType };
    // Antom wants the OS for a phone; one the page could not tell is taken as Android (HarmonyOS and others).
    if (terminalType !== 'WEB') env.osType = context.os === 'ios' ? 'IOS' : 'ANDROID';
    if (context.clientIp) env.clientIp = context.clientIp;
    return env;
  }

  #inStoreOrder(request: Pick<CreatePaymentRequest, 'subject' | 'orderId'>, amount: AntomAmount): Record<string, unknown> {
    const walletId = this.#account.walletId;
    return {
      orderAmount: amount,
      orderDescription: description(request.subject, request.orderId),
      merchant: {
        referenceMerchantId: walletId,
        merchantMCC: DEFAULT_MCC,
        merchantName: walletId,
        store: { referenceStoreId: walletId, storeName: walletId, storeMCC: DEFAULT_MCC },
      },
    };
  }

  #expiry(expiresAt: number): Record<string, string> {
    return expiresAt > this.#clock() ? { paymentExpiryTime: isoTime(expiresAt) } : {};
  }

  #region(): Record<string, string> {
    return this.#credentials.merchantRegion ? { merchantRegion: this.#credentials.merchantRegion } : {};
  }

  /** Sends once more when nothing could be learnt of the first (same body, same id: Antom's idempotency). */
  async #repeatOnce(send: () => Promise<AntomAnswer>): Promise<AntomAnswer> {
    try {
      const answer = await send();
      if (answer.result.resultStatus !== 'U' || answer.result.resultCode !== 'UNKNOWN_EXCEPTION') return answer;
    } catch (error) {
      if (!(error instanceof ProviderError) || error.outcome !== 'unknown') throw error;
    }
    return send();
  }
}

/** The order's description Antom shows the payer (≤ 256 characters; never empty). */
function description(subject: string, orderId: string): string {
  const text = subject.trim() || `Order ${orderId}`;
  return text.slice(0, 256);
}

/** The code to render as a QR: the TEXT code detail, else the first. */
function codeValueOf(body: Record<string, unknown>): string | undefined {
  const form = typeof body.orderCodeForm === 'object' && body.orderCodeForm !== null ? (body.orderCodeForm as Record<string, unknown>) : undefined;
  const details = Array.isArray(form?.codeDetails) ? (form.codeDetails as Array<Record<string, unknown>>) : [];
  const text = details.find((d) => d?.displayType === 'TEXT') ?? details[0];
  return typeof text?.codeValue === 'string' && text.codeValue !== '' ? text.codeValue : undefined;
}

function sleep(ms: number): Promise<void> {
  return ms > 0 ? new Promise((resolve) => setTimeout(resolve, ms)) : Promise.resolve();
}

/** The adapter of one account, as the registry builds it. */
export function createAntomProvider(account: OpenedAccount, options: AntomProviderOptions = {}): AntomProvider {
  return new AntomProvider(account, options);
}
