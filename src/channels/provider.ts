import type { OrderDetails } from '../domain/order-details.js';
import type { PaymentMethod } from '../domain/payment-methods.js';

/**
 * A payment provider (WeChat Pay, Antom, the sandbox) behind one interface, one method per
 * flow, after hyperswitch's connector traits: create a payment (answering what the customer
 * must do next), query it, close it, refund (processing, succeeded or failed), query a
 * refund, and receive a notification from its raw bytes (verified events plus the exact
 * answer the provider expects). Each provider says what it supports. Every method is
 * called outside any database transaction; an adapter never touches the database.
 *
 * One adapter instance serves one provider account (a wallet's credentials).
 */
export interface PaymentProvider {
  /** The provider's name: `sandbox`, `wechatpay`, `antom`. */
  readonly name: string;
  readonly capabilities: ProviderCapabilities;
  /** Opens a payment with the provider. Idempotent per `attemptId` (the provider's trade number). */
  createPayment(request: CreatePaymentRequest): Promise<CreatedPayment>;
  /** What the provider knows of an attempt now. */
  queryPayment(attempt: AttemptRef): Promise<PaymentReport>;
  /** Closes an unpaid attempt so it can no longer be paid. Resolves when closed (or already final). */
  closePayment(attempt: AttemptRef): Promise<void>;
  /** Asks for (part of) a paid attempt back. Idempotent per `refundId`: a retry never refunds twice. */
  refund(request: RefundRequest): Promise<RefundReport>;
  /** What the provider knows of a refund now. */
  queryRefund(refund: RefundRef): Promise<RefundReport>;
  /**
   * Verifies a notification from its headers and exact bytes. Answers the events it carries
   * and the answer to send; throws NotificationRejectedError (with the answer to send) when
   * it is not authentic, so that nothing changes.
   */
  receiveNotification(input: RawNotification): Promise<ReceivedNotification>;
  /** Charges a customer's pay code (barcode payment). Absent when the provider has no such API. */
  chargeCode?(request: ChargeCodeRequest): Promise<PaymentReport>;
  /**
   * How the payer is identified inside the wallet's own browser before an in-app payment
   * (WeChat's OAuth `snsapi_base`, for JSAPI's openid). Absent when the provider, or this
   * account, cannot: the payer then gets the QR.
   */
  readonly payerIdentity?: PayerIdentity;
}

/** Identifies the payer through the wallet (an OAuth redirect and back), for `PaymentContext.payerOpenId`. */
export interface PayerIdentity {
  /** Where to send the customer's browser; it comes back to `returnUrl` with `code` and `state` added to its query. */
  authorizeUrl(returnUrl: string, state: string): string;
  /** The payer's openid for the `code` the customer came back with (single use). Throws ProviderError. */
  openIdFor(code: string): Promise<string>;
}

/** How the customer pays: decides which next action a provider gives. */
export type PaymentFlow = 'qr' | 'in_app' | 'redirect' | 'barcode' | 'instructions';

export interface ProviderCapabilities {
  readonly methods: readonly PaymentMethod[];
  /** The flows it offers, in its order of preference. */
  readonly flows: readonly PaymentFlow[];
  /** The order currencies it takes; `any` when it takes every currency it is configured for. */
  readonly currencies: readonly string[] | 'any';
  readonly partialRefunds: boolean;
  /** How many refunds one payment may have at most; undefined: no limit. */
  readonly maxRefundsPerPayment?: number;
  /** Whether createPayment uses the order's console fields (`CreatePaymentRequest.details`): they are read only for such a provider. */
  readonly usesOrderDetails?: boolean;
  /**
   * The methods it can pay inside a merchant's mini program, in the form Latipay's mini
   * program endpoints answer (WeChat's wx.requestPayment, Alipay's my.tradePay orderStr).
   */
  readonly miniPrograms?: readonly PaymentMethod[];
}

/** Where the customer is, which decides the next action (a QR on a PC, the wallet in its own app…). */
export interface PaymentContext {
  readonly device: 'pc' | 'mobile' | 'wechat' | 'alipay';
  /**
   * `merchant_qr`: a merchant-hosted QR (host_type=1, gatewaydata) needs QR content, whatever the device.
   * `mini_program`: the merchant's mini program opens the wallet's payment itself (an `open_wallet` next action).
   */
  readonly purpose: 'payment_page' | 'merchant_qr' | 'mini_program';
  /** The payer's WeChat openid, when known (JSAPI inside WeChat, a mini program's user). */
  readonly payerOpenId?: string;
  /** The app `payerOpenId` belongs to when it is not the account's own (a mini program's app_id). */
  readonly payerAppId?: string;
  readonly clientIp?: string;
  /** The phone's operating system, when the page could tell (Antom's cashier asks for it on a phone). */
  readonly os?: 'ios' | 'android';
  /** Where a provider's page sends the customer back to (our payment page, which then goes to the merchant). */
  readonly returnUrl: string;
}

export interface CreatePaymentRequest {
  /** Our trade number for this attempt (the order id and two digits): out_trade_no, paymentRequestId. */
  readonly attemptId: string;
  readonly orderId: string;
  readonly method: PaymentMethod;
  readonly amountMinor: number;
  readonly currency: string;
  readonly subject: string;
  /** Where the provider posts its notifications: PUBLIC_URL/channels/<provider>/notify/<account>. */
  readonly notifyUrl: string;
  /** When the order's payment window closes (epoch ms): the provider's trade should not outlive it. */
  readonly expiresAt: number;
  readonly context: PaymentContext;
  /** The create's console fields (goods, payer id…), for a provider that `usesOrderDetails`. */
  readonly details?: OrderDetails;
}

/** What the customer must do next (hyperswitch's NextActionData). */
export type NextAction =
  /** Scan (or long-press) a QR encoding `qrContent`. */
  | { readonly type: 'show_qr'; readonly qrContent: string }
  /** Go to the provider's page. */
  | { readonly type: 'redirect'; readonly url: string }
  /** Post this form to the provider. */
  | { readonly type: 'post_form'; readonly url: string; readonly fields: Readonly<Record<string, string>> }
  /** Open the wallet with these parameters (WeChat's JSAPI in WeChat, Alipay's tradePay). */
  | { readonly type: 'open_wallet'; readonly wallet: 'wechat_jsapi' | 'alipay'; readonly params: Readonly<Record<string, string>> }
  /** Pay by yourself (a bank transfer, PayID): what to send where. */
  | { readonly type: 'show_instructions'; readonly instructions: Readonly<Record<string, string>> };

export interface CreatedPayment {
  readonly flow: PaymentFlow;
  readonly nextAction: NextAction;
  /** The provider's own id of the payment, when it gives one now. */
  readonly providerPaymentId?: string;
  /** What the provider answered, secrets masked, for the audit trail. */
  readonly raw?: unknown;
}

export interface AttemptRef {
  readonly attemptId: string;
  readonly providerPaymentId: string | null;
}

/**
 * A provider's report on one attempt. Amounts are in the order's currency; the payer's, when given, too.
 * `canceled`: the payer cancelled at the provider (a bank's Cancel); `rejected`: the provider
 * received the payment and refused it (PayID: a prohibited reference…), see `rejection`.
 */
export interface PaymentReport {
  readonly attemptId: string;
  readonly state: 'pending' | 'paid' | 'failed' | 'closed' | 'canceled' | 'rejected';
  readonly providerPaymentId?: string;
  readonly amountMinor?: number;
  readonly currency?: string;
  readonly payerAmountMinor?: number;
  readonly payerCurrency?: string;
  /** The rate the provider converted at (a decimal string), when it says. */
  readonly payerRate?: string;
  /** Why a `rejected` payment was refused, as the merchant's callback tells it (PayID's `message` and `blockData`). */
  readonly rejection?: PaymentRejection;
  /** When the payment was made, or the report's time (epoch ms). */
  readonly occurredAt: number;
  readonly raw?: unknown;
}

export interface PaymentRejection {
  /** The reason, in words. */
  readonly message: string;
  /** What caused the block (PayID: the payer's prohibited reference), when that was the reason. */
  readonly blockData?: string;
}

export interface RefundRequest {
  /** Our refund id: the provider's refund number (out_refund_no, refundRequestId). */
  readonly refundId: string;
  readonly attemptId: string;
  readonly providerPaymentId: string | null;
  readonly amountMinor: number;
  /** What the attempt took in all (providers want it to check the refund fits). */
  readonly paymentAmountMinor: number;
  readonly currency: string;
  readonly reason: string;
  readonly notifyUrl: string;
}

export interface RefundRef {
  readonly refundId: string;
  readonly attemptId: string;
  readonly providerPaymentId: string | null;
  /** The merchant's reference of the refund (the sandbox decides by it). */
  readonly reason: string;
}

/** `processing`: the provider accepted the refund and will say later whether the money went back. */
export interface RefundReport {
  readonly refundId: string;
  readonly state: 'processing' | 'succeeded' | 'failed';
  readonly providerRefundId?: string;
  readonly reason?: string;
  readonly raw?: unknown;
}

export interface ChargeCodeRequest extends Omit<CreatePaymentRequest, 'context'> {
  readonly payCode: string;
}

export interface RawNotification {
  /** Header names in lower case. */
  readonly headers: Readonly<Record<string, string | undefined>>;
  readonly rawBody: Buffer;
}

/** What the gateway answers the provider's HTTP notification with. */
export interface NotificationAck {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
}

export type ProviderEvent =
  | { readonly kind: 'payment'; readonly eventId: string; readonly report: PaymentReport }
  | { readonly kind: 'refund'; readonly eventId: string; readonly report: RefundReport };

export interface ReceivedNotification {
  readonly events: readonly ProviderEvent[];
  /** The answer when the events were taken in; `failAck` when the gateway could not take them (the provider retries). */
  readonly ack: NotificationAck;
  readonly failAck: NotificationAck;
}

/** A notification that is not authentic (bad or stale signature, unknown key…): nothing changes, `ack` is answered. */
export class NotificationRejectedError extends Error {
  readonly ack: NotificationAck;
  constructor(message: string, ack: NotificationAck) {
    super(message);
    this.name = 'NotificationRejectedError';
    this.ack = ack;
  }
}

/**
 * A provider call that failed. `outcome` says what is known, which decides what the gateway
 * may do next:
 * - `declined`: the provider refused (a declined payment, a refused refund); final;
 * - `not_done`: the provider did not act (unavailable, rejected the request): safe to retry;
 * - `unknown`: no answer (timeout, connection lost): it may have acted, so only a query
 *   (or a retry with the same id, which providers take as idempotent) may follow;
 * - `misconfigured`: the credentials or settings are wrong; an operator must act.
 */
export class ProviderError extends Error {
  readonly outcome: 'declined' | 'not_done' | 'unknown' | 'misconfigured';
  readonly providerCode: string | undefined;
  constructor(outcome: ProviderError['outcome'], message: string, options: { providerCode?: string; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'ProviderError';
    this.outcome = outcome;
    this.providerCode = options.providerCode;
  }
}
