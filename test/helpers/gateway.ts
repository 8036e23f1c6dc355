import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ProviderFactory } from '../../src/channels/provider-registry.js';
import type { DestinationStream, Logger } from 'pino';
import { decodeSecretKey, loadConfig, type Config } from '../../src/config.js';
import { SecretBox } from '../../src/domain/secret-box.js';
import { signParams, type ParamValue } from '../../src/domain/signature.js';
import { SANDBOX_RATES, seedRates } from '../../src/gateway/fx-rates.js';
import { Credentials } from '../../src/gateway/credentials.js';
import { createMerchant, type CreatedMerchant, type CreateMerchantInput } from '../../src/gateway/create-merchant.js';
import { buildApp } from '../../src/http/app.js';
import type { ServerTimeouts } from '../../src/http/server-timeouts.js';
import { NotificationWorker } from '../../src/notify/notification-worker.js';
import { OutboundGuard, type Resolver } from '../../src/notify/outbound-guard.js';
import { createOrderEvents } from '../../src/notify/order-events.js';
import { createLogger } from '../../src/start/logger.js';
import { upsertProviderAccount } from '../../src/store/provider-accounts.js';
import { openStore, type Store } from '../../src/store/store.js';
import { createTestDatabase } from './database.js';

export interface TestGateway {
  app: FastifyInstance;
  store: Store;
  config: Config;
  secrets: SecretBox;
  merchant: CreatedMerchant;
  worker?: NotificationWorker;
  /** Creates another merchant on the same gateway. */
  addMerchant(input?: Partial<CreateMerchantInput>): Promise<CreatedMerchant>;
  close(): Promise<void>;
}

export interface TestGatewayOptions {
  env?: Record<string, string>;
  merchant?: Partial<CreateMerchantInput>;
  /** Start the callback delivery worker (off by default: inject tests don't need it). */
  worker?: boolean;
  clock?: () => number;
  /** The gateway's logger (default: silent). */
  logger?: Logger;
  /** How the worker's outbound guard resolves host names (when OUTBOUND_GUARD is on); default: the system's. */
  resolve?: Resolver;
  /** Server timeouts other than the defaults. */
  timeouts?: Partial<ServerTimeouts>;
  /** Where the gateway logs (at LOG_LEVEL, silent unless `env` says otherwise). */
  logDestination?: DestinationStream;
  /** Adapters of providers the test configures for wallets (see configureProvider). */
  providerFactories?: ReadonlyMap<string, ProviderFactory>;
}

/**
 * A gateway on its own fresh database (a temporary SQLite file), built with buildApp and
 * not listening: use `app.inject()`, or `app.listen({port: 0})` for real sockets.
 */
export async function createTestGateway(options: TestGatewayOptions = {}): Promise<TestGateway> {
  const database = await createTestDatabase();
  const config = loadConfig({
    DATABASE_URL: database.url,
    // The key the CLI must be given too when a test runs it against this database.
    SECRET_KEY: randomBytes(32).toString('hex'),
    PUBLIC_URL: 'http://gateway.test',
    LOG_LEVEL: 'silent',
    ...options.env,
  });
  const store = await openStore(config.databaseUrl, { poolSize: 5 });
  const secrets = new SecretBox(decodeSecretKey(config.secretKey as string) as Buffer);
  const logger = options.logger ?? createLogger(config.logLevel, options.logDestination);
  const clock = options.clock ?? Date.now;
  const worker = options.worker
    ? new NotificationWorker({
        store,
        credentials: new Credentials(store.db, secrets),
        log: logger,
        clock,
        retrySeconds: config.notifyRetrySeconds,
        giveUpSeconds: config.notifyGiveUpSeconds,
        concurrency: config.notifyConcurrency,
        timeoutSeconds: config.notifyTimeoutSeconds,
        retentionDays: config.notifyRetentionDays,
        guard: config.outboundGuard ? new OutboundGuard({ allowCidrs: config.outboundAllowCidrs, resolve: options.resolve }) : undefined,
        pollIntervalMs: 200,
      })
    : undefined;
  const shutdown = new AbortController();
  const events = await createOrderEvents(store, config.databaseUrl, logger);
  const app = await buildApp({
    config,
    store,
    secrets,
    logger,
    clock,
    events,
    wakeNotifier: worker ? () => worker.wake() : undefined,
    shutdown: shutdown.signal,
    timeouts: options.timeouts,
    providerFactories: options.providerFactories,
  });
  worker?.start();
  const addMerchant = (input: Partial<CreateMerchantInput> = {}) =>
    createMerchant(store.db, secrets, { name: 'Test Shop', currency: 'NZD', methods: ['alipay', 'wechat'], ...input }, clock());
  await seedRates(store.db, config.fxRates ?? SANDBOX_RATES, clock());
  const merchant = await addMerchant(options.merchant);
  return {
    app,
    store,
    config,
    secrets,
    merchant,
    worker,
    addMerchant,
    async close() {
      shutdown.abort();
      await app.close();
      await worker?.stop(1_000);
      await events.close();
      await store.close();
      await database.cleanup();
    },
  };
}

/** Signs `fields` the way a merchant's client does (sorted form, spec §2.1) and adds `signature`. */
export function signed<T extends Record<string, ParamValue>>(fields: T, apiKey: string): T & { signature: string } {
  return { ...fields, signature: signParams(Object.entries(fields), apiKey) };
}

/** A valid create-transaction body for `merchant`, with overrides. */
export function transactionFields(merchant: CreatedMerchant, overrides: Record<string, ParamValue> = {}): Record<string, ParamValue> {
  return {
    user_id: merchant.user_id,
    wallet_id: merchant.wallet_id,
    amount: '120.00',
    payment_method: 'alipay',
    return_url: 'https://merchant.example/return',
    callback_url: 'https://merchant.example/callback',
    merchant_reference: 'ref-' + randomBytes(6).toString('hex'),
    ip: '122.122.122.1',
    version: '2.0',
    product_name: 'Pinot Noir, Otago',
    ...overrides,
  };
}

/**
 * Gives a wallet an account with `provider` for `methods`, as `latipay provider set` does,
 * and makes the gateway see it at once. Answers the account id.
 */
export async function configureProvider(
  gw: TestGateway,
  walletId: string,
  provider: string,
  methods: readonly string[],
  config: Record<string, unknown> = {},
  secrets: Record<string, string> = {},
): Promise<string> {
  const id = `pa_${provider}_${walletId}`;
  const now = Date.now();
  await upsertProviderAccount(gw.store.db, {
    id,
    wallet_id: walletId,
    provider,
    methods: methods.join(','),
    config: JSON.stringify(config),
    secrets_sealed: gw.secrets.seal(JSON.stringify(secrets)),
    created_at: now,
    updated_at: now,
  });
  gw.app.gateway.providers.forgetWallet(walletId);
  return id;
}
