import type { Logger } from 'pino';
import { ProviderRegistry, type ProviderFactory } from '../channels/provider-registry.js';
import { providerFactories } from '../channels/providers.js';
import { SandboxProvider } from '../channels/sandbox/sandbox-provider.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../domain/secret-box.js';
import { LocalOrderEvents, type OrderEvents } from '../notify/order-events.js';
import { OrderWaiters } from '../notify/order-waiters.js';
import { findOrderResultById, type OrderResult } from '../store/orders.js';
import type { Store } from '../store/store.js';
import { AuthThrottle } from './auth-throttle.js';
import type { GatewayContext, GatewayObserver } from './context.js';
import { Credentials } from './credentials.js';
import { OrderNumbers } from './order-numbers.js';
import { takeIdBlock } from '../store/id-blocks.js';
import { takeProviderEvents } from './settle-payment.js';
import { SignatureUsage } from './signature-usage.js';
import { sandboxMayServe } from './wallets.js';

export interface ContextDeps {
  config: Config;
  store: Store;
  secrets: SecretBox;
  logger: Logger;
  clock?: () => number;
  events?: OrderEvents;
  /** Called after a notification is committed; the entry point wires it to the delivery worker. */
  wakeNotifier?: () => void;
  /** Aborted by the entry point on shutdown; ends long-polls and status streams. */
  shutdown?: AbortSignal;
  /** Counts events an operator watches for (the metrics). */
  observer?: GatewayObserver;
  /** The adapters of real providers, by name (see src/channels/providers.ts). */
  providerFactories?: ReadonlyMap<string, ProviderFactory>;
}

/**
 * Everything the use cases share, built once: credentials, limits, the providers (the
 * sandbox among them when SANDBOX is on, reporting through the same entry as any provider).
 * `close()` stops what runs in the background (the sandbox's timers, the usage counts).
 */
export function createGatewayContext(deps: ContextDeps): GatewayContext & { close(): Promise<void> } {
  const { config } = deps;
  const clock = deps.clock ?? Date.now;
  // The sandbox reports like a provider: its events go through settlement like any other's.
  let context: GatewayContext | undefined;
  const sandbox = config.sandbox
    ? new SandboxProvider({
        db: deps.store.db,
        publicUrl: config.publicUrl,
        signingKey: deps.secrets.deriveKey('sandbox-channel'),
        clock,
        deliver: (events) => takeProviderEvents(context as GatewayContext, 'sandbox', events),
        barcodePendingMs: config.sandboxBarcodePendingMs,
        onError: (error, what) => deps.logger.error({ err: error }, what),
      })
    : undefined;
  const events = deps.events ?? new LocalOrderEvents();
  const shutdown = deps.shutdown ?? new AbortController().signal;
  const ctx: GatewayContext = {
    config,
    store: deps.store,
    secrets: deps.secrets,
    credentials: new Credentials(deps.store.db, deps.secrets),
    authThrottle: new AuthThrottle({
      failuresPerAddress: config.authFailuresPerAddress,
      failuresPerUser: config.authFailuresPerUser,
      windowSeconds: config.authFailureWindowSeconds,
      blockSeconds: config.authBlockSeconds,
      pool: deps.store.parts.pool,
      log: deps.logger,
    }),
    signatureUsage: new SignatureUsage(deps.store.db, deps.logger, clock),
    providers: new ProviderRegistry({
      db: deps.store.db,
      secrets: deps.secrets,
      publicUrl: config.publicUrl,
      factories: deps.providerFactories ?? providerFactories(),
      sandbox,
      sandboxMayServe: (wallet) => sandboxMayServe({ config }, wallet),
      log: deps.logger,
    }),
    events,
    orderWaiters: new OrderWaiters(events, (orderId) => orderDoneCheck(deps.store.db, orderId), shutdown),
    orderNumbers: new OrderNumbers((size) => takeIdBlock(deps.store.db, 'order', size)),
    wakeNotifier: deps.wakeNotifier ?? (() => {}),
    clock,
    shutdown,
    log: deps.logger,
    observer: deps.observer ?? { refundFailedAfterAcceptance() {}, paymentFlagged() {}, reversalFailed() {} },
  };
  context = ctx;
  return Object.assign(ctx, {
    async close() {
      sandbox?.stop();
      await ctx.signatureUsage.close();
    },
  });
}

/**
 * A long-poll's check of its order: the order's answer once it has left `pending` (the
 * waiter answers with it, no second read), null when the order is not there (the wait is
 * over; the answer is the order as the query found it), undefined while it is pending.
 */
async function orderDoneCheck(db: Store['db'], orderId: string): Promise<OrderResult | null | undefined> {
  const order = await findOrderResultById(db, orderId);
  if (!order) return null;
  return order.status === 'pending' ? undefined : order;
}
