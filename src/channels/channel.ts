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
}

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
