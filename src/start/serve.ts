import cluster from 'node:cluster';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { PROVIDER_MODULES } from '../channels/providers.js';
import { loadConfig, type Config } from '../config.js';
import { SecretBox } from '../domain/secret-box.js';
import { buildApp } from '../http/app.js';
import { GatewayMetrics } from '../http/metrics.js';
import { buildMetricsApp } from '../http/metrics-app.js';
import { NotificationWorker } from '../notify/notification-worker.js';
import { OutboundGuard } from '../notify/outbound-guard.js';
import { ExpirySweeper } from '../notify/expiry-sweeper.js';
import { resumeOpenRefunds } from '../gateway/execute-refund.js';
import type { GatewayContext } from '../gateway/context.js';
import { createGatewayContext } from '../gateway/create-context.js';
import { reconcileStalePayments } from '../gateway/reconcile.js';
import { expireDueOrders } from '../gateway/expire-orders.js';
import { Credentials } from '../gateway/credentials.js';
import { createOrderEvents } from '../notify/order-events.js';
import { pruneIdempotencyKeys } from '../store/idempotency-keys.js';
import { openStore, type Store } from '../store/store.js';
import { ensureSandboxMerchant } from './bootstrap.js';
import { SANDBOX_RATES, seedRates } from '../gateway/fx-rates.js';
import { createLogger } from './logger.js';
import { openSecretBox, verifySecretKey } from './secret-key.js';
import type { CreatedMerchant } from '../gateway/create-merchant.js';

export interface ServeOptions {
  /** Run the HTTP API (default true). */
  api: boolean;
  /** Run the callback delivery worker (default true). */
  worker: boolean;
}

interface Running {
  config: Config;
  log: Logger;
  store: Store;
  app?: FastifyInstance;
  /** The METRICS_PORT listener. */
  metricsApp?: FastifyInstance;
  worker?: NotificationWorker;
  shutdown: AbortController;
  closeEvents?: () => Promise<void>;
  sweeper?: ExpirySweeper;
}

/**
 * Opens everything the process needs: configuration (unless given), logger, secret key,
 * database (migrated), and checks that the key is the one the database's secrets are
 * sealed with.
 */
export async function openRuntime(config: Config = loadConfig()): Promise<{ config: Config; log: Logger; secrets: SecretBox; store: Store }> {
  const log = createLogger(config.logLevel);
  const { secrets, generatedAt } = openSecretBox(config);
  if (generatedAt) log.warn({ file: generatedAt }, 'generated a new SECRET_KEY; keep this file: stored api keys need it');
  const store = await openStore(config.databaseUrl, { poolSize: config.databasePoolSize });
  try {
    await verifySecretKey(store, secrets, Date.now());
  } catch (error) {
    await store.close();
    throw error;
  }
  return { config, log, secrets, store };
}

/** Seeds the FX rates (the configured ones, or the sandbox's) for pairs that have none. */
export async function prepareDatabase(config: Config, store: Store): Promise<void> {
  const rates = config.fxRates ?? (config.sandbox ? SANDBOX_RATES : undefined);
  if (rates) await seedRates(store.db, rates, Date.now());
}

/**
 * On the first start of a gateway with the sandbox on, once it listens: creates the sandbox
 * merchant (a test wallet) and shows it. Only then: a key shown by a gateway that then
 * failed to listen would be the key of a merchant nobody was told about again.
 */
export async function createSandboxMerchantOnce(config: Config, log: Logger, store: Store, secrets: SecretBox): Promise<void> {
  if (!config.sandbox) return;
  const created = await ensureSandboxMerchant(store, secrets, Date.now());
  if (created) announceSandboxMerchant(config, log, created);
}

/**
 * The one line every start logs: the mode, the database, the providers it has adapters for
 * and the sandbox.
 * In production a sandbox is a warning: test wallets can then be "paid" without money.
 */
export function logStart(config: Config, log: Logger, kind: string): void {
  const sandbox = !config.sandbox ? 'off' : config.mode === 'production' ? 'on (test wallets only)' : 'on';
  // The adapters this build has (each serves the wallets an operator configured it for), and the sandbox.
  const providers = [...PROVIDER_MODULES.map((m) => m.name), ...(config.sandbox ? ['sandbox'] : [])];
  log.info({ mode: config.mode, database: kind, providers, sandbox }, `latipay gateway starting in ${config.mode} mode`);
  if (config.mode === 'production' && config.sandbox) {
    log.warn('SANDBOX=on in production: orders of test wallets can be settled through /sandbox/* without money; live wallets never use the sandbox');
  }
  if (config.mode === 'production' && config.metrics && config.metricsToken === undefined && config.metricsPort === undefined) {
    log.warn('/metrics is served on the API port without a token: set METRICS_TOKEN, or METRICS_PORT on a private network, or block /metrics at the proxy');
  }
}

/**
 * Shows the sandbox merchant created on the first start. Outside production its key goes
 * to the terminal once (the developer's quick start); in production never, since standard
 * output is the log there: the operator makes a key with `merchant rotate-key`.
 */
export function announceSandboxMerchant(config: Config, log: Logger, created: CreatedMerchant): void {
  if (config.mode === 'production') {
    log.warn({ userId: created.user_id, walletId: created.wallet_id }, 'created a sandbox merchant (test wallet); its key is not shown in production: run `latipay merchant rotate-key USER_ID` to get one');
    return;
  }
  printSandboxMerchant(created);
}

/**
 * `latipay serve` / `latipay worker`: listens, delivers callbacks, and on SIGTERM/SIGINT
 * stops taking requests, finishes what is in flight (bounded), releases its leases, exits.
 */
export async function serve(options: ServeOptions, givenConfig?: Config): Promise<void> {
  const { config, log, secrets, store } = await openRuntime(givenConfig);
  const running: Running = { config, log, store, shutdown: new AbortController() };

  // One of `serve --processes N`'s processes: the parent prepared the database and logged the start.
  if (!cluster.isWorker) {
    logStart(config, log, store.kind);
    await prepareDatabase(config, store);
  }

  // The users whose keys sign callbacks, for this process's background work.
  const credentials = new Credentials(store.db, secrets);
  // One set of metrics for the process: the API counts requests into it, the worker deliveries.
  const metrics = config.metrics ? new GatewayMetrics({ store, log }) : undefined;
  if (options.worker) {
    running.worker = new NotificationWorker({
      store,
      credentials,
      log: log.child({ component: 'notify' }),
      clock: Date.now,
      retrySeconds: config.notifyRetrySeconds,
      giveUpSeconds: config.notifyGiveUpSeconds,
      concurrency: config.notifyConcurrency,
      timeoutSeconds: config.notifyTimeoutSeconds,
      retentionDays: config.notifyRetentionDays,
      guard: config.outboundGuard ? new OutboundGuard({ allowCidrs: config.outboundAllowCidrs }) : undefined,
      onAttempt: metrics ? (outcome) => metrics.countAttempt(outcome) : undefined,
    });
    running.worker.start();
  }

  if (options.api) {
    try {
      const worker = running.worker;
      const events = await createOrderEvents(store, config.databaseUrl, log);
      running.closeEvents = () => events.close();
      running.app = await buildApp({
        config,
        store,
        secrets,
        logger: log,
        wakeNotifier: worker ? () => worker.wake() : undefined,
        shutdown: running.shutdown.signal,
        events,
        metrics,
      });
      await running.app.listen({ port: config.port, host: config.host });
      log.info({ publicUrl: config.publicUrl, database: store.kind, worker: options.worker }, 'latipay gateway listening');
      if (!cluster.isWorker) await createSandboxMerchantOnce(config, log, store, secrets);
    } catch (error) {
      // A gateway that cannot listen (port taken…) must exit, not linger delivering callbacks.
      await running.app?.close().catch(() => {});
      await running.worker?.stop(1_000);
      await running.closeEvents?.();
      await store.close();
      throw error;
    }
  } else {
    log.info({ database: store.kind }, 'latipay delivery worker running');
  }

  if (metrics && config.metricsPort !== undefined) {
    try {
      running.metricsApp = await buildMetricsApp({ metrics, store, logger: log, token: config.metricsToken });
      await running.metricsApp.listen({ port: config.metricsPort, host: config.host });
      log.info({ port: config.metricsPort }, 'metrics listening (METRICS_PORT)');
    } catch (error) {
      await running.metricsApp?.close().catch(() => {});
      await running.app?.close().catch(() => {});
      await running.worker?.stop(1_000);
      await running.closeEvents?.();
      await store.close();
      throw error;
    }
  }

  if (running.worker) {
    // Order expiry runs wherever callbacks are delivered: it queues callbacks of its own.
    const worker = running.worker;
    let gateway: GatewayContext;
    if (running.app) {
      gateway = running.app.gateway;
    } else {
      const events = await createOrderEvents(store, config.databaseUrl, log);
      const context = createGatewayContext({ config, store, secrets, logger: log, events, wakeNotifier: () => worker.wake(), shutdown: running.shutdown.signal });
      running.closeEvents = async () => {
        await context.close();
        await events.close();
      };
      gateway = context;
    }
    let cursor: Parameters<typeof reconcileStalePayments>[2];
    running.sweeper = new ExpirySweeper({
      sweep: async () => {
        // Pending payments are asked about before their orders could expire, and expiring
        // orders once more before they fail; refunds in flight are asked again until they end.
        if (config.reconcileAfterSeconds > 0) cursor = (await reconcileStalePayments(gateway, config.reconcileAfterSeconds * 1000, cursor)).cursor;
        const expired = await expireDueOrders(gateway);
        await resumeOpenRefunds(gateway, config.reconcileAfterSeconds > 0 ? config.reconcileAfterSeconds * 1000 : 5 * 60_000);
        await pruneIdempotencyKeys(store.db, Date.now() - config.idempotencyKeyHours * 3_600_000);
        return expired;
      },
      intervalMs: config.expirySweepSeconds * 1000,
      log: log.child({ component: 'expiry' }),
    });
    running.sweeper.start();
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    const force = setTimeout(() => {
      log.error('shutdown took too long; exiting');
      process.exit(1);
    }, 30_000);
    force.unref();
    running.shutdown.abort();
    // close() reaps only the keep-alive sockets idle at that moment; a response finishing
    // later (a long-poll woken by the abort) would leave its socket, and so the process,
    // alive for keepAliveTimeout (72 s). Keep reaping until the server has closed.
    const server = running.app?.server;
    const reaper = setInterval(() => server?.closeIdleConnections(), 100);
    try {
      await running.app?.close();
      clearInterval(reaper);
      await running.metricsApp?.close();
      // A handler whose client already left may still be running: let it finish first.
      await running.app?.handlersSettled();
      await running.sweeper?.stop();
      await running.worker?.stop(10_000);
      await running.closeEvents?.();
      await store.close();
    } catch (error) {
      log.error({ err: error }, 'error during shutdown');
    }
    log.info('stopped');
    process.exit(0);
  };
  process.once('SIGTERM', () => void stop('SIGTERM'));
  process.once('SIGINT', () => void stop('SIGINT'));
  // A process of `serve --processes N` whose parent is gone gets no more connections: it stops.
  if (cluster.isWorker) process.once('disconnect', () => void stop('disconnect'));
}

function printSandboxMerchant(created: { organisation_id: number; user_id: string; wallet_id: string; api_key: string }): void {
  // Printed once, on the first start, to the terminal (not the log): the key is a secret.
  process.stdout.write(
    [
      '',
      'Created a sandbox merchant (shown once; keep the api_key):',
      `  organisation_id: ${created.organisation_id}`,
      `  user_id:         ${created.user_id}`,
      `  wallet_id:       ${created.wallet_id}`,
      `  api_key:         ${created.api_key}`,
      '',
    ].join('\n') + '\n',
  );
}
