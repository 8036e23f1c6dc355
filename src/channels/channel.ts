import type { PaymentMethod } from '../domain/payment-methods.js';

/** What the gateway asks of a provider when a customer is about to pay. */
export interface ChannelPaymentRequest {
  readonly orderId: string;
  readonly method: PaymentMethod;
  readonly amountMinor: number;
  readonly currency: string;
  readonly subject: string;
}

/** The provider's answer: its trade id and the URL its wallet app opens (the QR's content). */
export interface ChannelPayment {
  readonly tradeId: string;
  readonly qrUrl: string;
}

/** A provider notification, verified and parsed. */
export interface ChannelOutcome {
  /** Unique per notification from this provider; a repeat is ignored. */
  readonly eventId: string;
  readonly orderId: string;
  readonly tradeId: string;
  readonly outcome: 'paid' | 'failed';
  readonly amountMinor: number;
  readonly currency: string;
  readonly occurredAt: number;
}

export class ChannelNotificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelNotificationError';
  }
}

/** A barcode payment: the customer's pay code, scanned by the merchant, charged at once (spec §4.9). */
export interface ChannelCodeChargeRequest extends ChannelPaymentRequest {
  readonly payCode: string;
}

/**
 * The provider's synchronous answer to a pay-code charge: its trade id and, when the charge
 * settled at once, the outcome (applied like a notification). Without `settled` the charge is
 * pending (the customer confirms in their app) and its outcome arrives as a notification.
 */
export interface ChannelCodeCharge {
  readonly tradeId: string;
  readonly settled?: ChannelOutcome;
}

/** The provider could not take a request and nothing was charged: safe to report as failed. */
export class ChannelUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ChannelUnavailableError';
  }
}

/**
 * A payment provider (Alipay, WeChat Pay, …) behind one interface. The sandbox is one;
 * a real adapter takes its place without the gateway changing.
 */
export interface PaymentChannel {
  readonly name: string;
  readonly methods: readonly PaymentMethod[];
  /** Opens a trade with the provider. Called outside any database transaction. */
  startPayment(request: ChannelPaymentRequest): Promise<ChannelPayment>;
  /** Verifies a notification's signature and parses it; throws ChannelNotificationError when it is not authentic. */
  parseNotification(body: unknown): ChannelOutcome;
  /**
   * Charges a customer's pay code (barcode payment). Called outside any database transaction.
   * Throws ChannelUnavailableError only when nothing was charged; an adapter that cannot tell
   * must reverse the charge first. Absent when the provider has no pay-code API.
   */
  chargeCode?(request: ChannelCodeChargeRequest): Promise<ChannelCodeCharge>;
  /**
   * Gives (part of) a paid order's money back. Called outside any database transaction and
   * idempotent per `refundId` (providers take it as their refund request number). Resolves
   * with the provider's final answer; rejects only when the outcome is unknown (network),
   * in which case the refund stays pending and is asked again later.
   */
  refund(request: ChannelRefundRequest): Promise<ChannelRefundResult>;
  /** Closes an unpaid trade so it can no longer be paid (the order was cancelled). Best effort, after commit. */
  closePayment(orderId: string): Promise<void>;
}

/** What the gateway asks of a provider to give money back. */
export interface ChannelRefundRequest {
  readonly refundId: string;
  readonly orderId: string;
  readonly tradeId: string | null;
  readonly amountMinor: number;
  readonly currency: string;
  /** The merchant's reference of the refund (empty for a reversal's). */
  readonly reason: string;
}

/** The provider's final answer to a refund request. */
export type ChannelRefundResult =
  | { readonly status: 'succeeded'; readonly channelRefundId: string }
  | { readonly status: 'refused'; readonly reason: string };

/** Picks the channel that serves a payment method. */
export class ChannelRegistry {
  readonly #byName = new Map<string, PaymentChannel>();
  readonly #byMethod = new Map<string, PaymentChannel>();

  register(channel: PaymentChannel): this {
    this.#byName.set(channel.name, channel);
    for (const method of channel.methods) this.#byMethod.set(method, channel);
    return this;
  }

  forMethod(method: string): PaymentChannel | undefined {
    return this.#byMethod.get(method);
  }

  byName(name: string): PaymentChannel | undefined {
    return this.#byName.get(name);
  }
}
