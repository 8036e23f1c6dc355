import type { Logger } from 'pino';
import type { ProviderRegistry } from '../channels/provider-registry.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../domain/secret-box.js';
import type { OrderEvents } from '../notify/order-events.js';
import type { OrderWaiters } from '../notify/order-waiters.js';
import type { Store } from '../store/store.js';
import type { OrderResult } from '../store/orders.js';
import type { AuthThrottle } from './auth-throttle.js';
import type { OrderNumbers } from './order-numbers.js';
import type { Credentials } from './credentials.js';
import type { SignatureUsage } from './signature-usage.js';

/** Counts what an operator watches for (the metrics implement it; by default nothing counts). */
export interface GatewayObserver {
  /** A refund its provider had accepted (processing) failed after all: the merchant was told code 0. */
  refundFailedAfterAcceptance(): void;
  /** A provider reported a payment that does not match its order: the order is flagged for review. */
  paymentFlagged(): void;
  /** A late payment could not be given back (its reversal failed): the order is flagged for review. */
  reversalFailed(): void;
}

/** What the use cases need, handed down from the entry point (tests build their own). */
export interface GatewayContext {
  readonly config: Config;
  readonly store: Store;
  readonly secrets: SecretBox;
  readonly credentials: Credentials;
  /** Limits on failed authentication (per address and user_id). */
  readonly authThrottle: AuthThrottle;
  /** Which signature forms each merchant uses. */
  readonly signatureUsage: SignatureUsage;
  /** Which provider (account) serves a wallet's method, and the adapters. */
  readonly providers: ProviderRegistry;
  readonly events: OrderEvents;
  /** The queries waiting for an order to leave `pending` (`is_block=1`), woken by `events`. */
  readonly orderWaiters: OrderWaiters<OrderResult | null>;
  /** The numbers of new orders' ids (blocks of the database's shared counter). */
  readonly orderNumbers: OrderNumbers;
  /** Tells the delivery worker that a notification is waiting (a no-op where no worker runs here). */
  readonly wakeNotifier: () => void;
  readonly clock: () => number;
  /** Aborts when the process shuts down: long-polls and live-status streams end early. */
  readonly shutdown: AbortSignal;
  readonly log: Logger;
  readonly observer: GatewayObserver;
}
