import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { GatewayContext } from '../gateway/context.js';
import { createGatewayContext, type ContextDeps } from '../gateway/create-context.js';
import { installBodyParsers } from './body-parsers.js';
import { answerClientError } from './client-error.js';
import { answerFrameworkError, installErrorHandling } from './error-handler.js';
import { GatewayMetrics, registerMetricsRoute } from './metrics.js';
import { registerApiDocsRoutes, registerOpenApi } from './openapi.js';
import { installNulGuard } from './reject-nul.js';
import { RequestObserver } from './request-observer.js';
import { registerPageSecurity } from './security-headers.js';
import { serverTimeouts, timeoutOptions, type ServerTimeouts } from './server-timeouts.js';
import { channelNotifyRoute } from './routes/channel-notify.js';
import { barcodeRoute } from './routes/barcode.js';
import { brandRoutes } from './routes/brand.js';
import { cancelRoute } from './routes/cancel.js';
import { refundRoute } from './routes/refund.js';
import { createTransactionRoute } from './routes/create-transaction.js';
import { allRatesRoute } from './routes/all-rates.js';
import { healthRoute } from './routes/health.js';
import { invoiceRoutes } from './routes/invoice.js';
import { merchantHostedDataRoute } from './routes/merchant-hosted-data.js';
import { miniProgramRoutes } from './routes/mini-programs.js';
import { paymentPageRoutes } from './routes/payment-page.js';
import { portalRoutes } from './routes/portal/index.js';
import { invoicePageRoutes } from './routes/invoice-page.js';
import { queryTransactionRoute } from './routes/query-transaction.js';
import { sandboxRoutes } from './routes/sandbox.js';
import { walletDetailRoute } from './routes/wallet-detail.js';

declare module 'fastify' {
  interface FastifyInstance {
    gateway: GatewayContext;
    /** Resolves once no route handler is running (see trackHandlers). */
    handlersSettled(): Promise<void>;
  }
  interface FastifyContextConfig {
    /** The route answers HTML pages, and its errors are pages too (error-handler.ts). Declared since @fastify/swagger's own keys make this type checked. */
    html?: boolean;
  }
}

export interface AppDeps extends ContextDeps {
  /** Server timeouts other than the defaults (tests shorten them). */
  timeouts?: Partial<ServerTimeouts>;
  /** The metrics the entry point shares with the delivery worker; with METRICS on and none given, the app makes its own. */
  metrics?: GatewayMetrics;
}

/** Builds the gateway's HTTP app from what it is given. It never listens: the entry point does. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const { config } = deps;
  const metrics = config.metrics ? (deps.metrics ?? new GatewayMetrics({ store: deps.store, log: deps.logger, clock: deps.clock })) : undefined;
  const app = Fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    bodyLimit: config.bodyLimitBytes,
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1024 },
    // Counts each answered request and, with LOG_REQUESTS, logs it (fastify's own request lines stay off).
    logController: new RequestObserver({ metrics, logRequests: config.logRequests }),
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    ...timeoutOptions(serverTimeouts(config, deps.timeouts)),
    // The client is the socket's peer, unless it is one of the proxies TRUST_PROXY names.
    trustProxy: config.trustProxy,
    ajv: { customOptions: { coerceTypes: false, removeAdditional: false, allErrors: false } },
  });

  const ctx = createGatewayContext({ ...deps, observer: deps.observer ?? metrics });
  app.decorate('gateway', ctx);
  app.addHook('onClose', async () => ctx.close());

  installBodyParsers(app);
  installErrorHandling(app);
  installNulGuard(app);
  if (config.apiDocs) {
    // The collector before the routes, so it sees every one; the docs' routes after the error
    // handling (a route takes the error handler set before it) and before trackHandlers, whose
    // async wrapper would end @fastify/static's streamed answers empty (they touch no database).
    await registerOpenApi(app, config);
    await registerApiDocsRoutes(app);
  }
  trackHandlers(app);
  await app.register(healthRoute);
  // With METRICS_PORT the entry point serves /metrics on a listener of its own instead.
  if (metrics && config.metricsPort === undefined) registerMetricsRoute(app, metrics, config.metricsToken);
  await app.register(createTransactionRoute);
  await app.register(queryTransactionRoute);
  await app.register(channelNotifyRoute);
  await app.register(barcodeRoute);
  await app.register(refundRoute);
  await app.register(cancelRoute);
  await app.register(merchantHostedDataRoute);
  await app.register(allRatesRoute);
  await app.register(walletDetailRoute);
  await app.register(miniProgramRoutes);
  await app.register(invoiceRoutes);
  await app.register(brandRoutes);
  // The HTML pages, in a scope of their own with the security headers (the API's hot paths run none of their hooks).
  const sandbox = ctx.providers.sandbox;
  await app.register(async (pages) => {
    await registerPageSecurity(pages, config);
    await pages.register(paymentPageRoutes);
    await pages.register(invoicePageRoutes);
    if (sandbox) await pages.register(sandboxRoutes, { sandbox });
    await pages.register(portalRoutes);
  });
  return app;
}

/**
 * Counts running route handlers. A handler goes on after its client hangs up, and the
 * server can finish closing while it does; shutdown waits for `handlersSettled()` before
 * it closes the database, so no handler finds the store gone half-way.
 */
function trackHandlers(app: FastifyInstance): void {
  let running = 0;
  const waiters: Array<() => void> = [];
  const settled = () => {
    if (--running === 0) for (const resolve of waiters.splice(0)) resolve();
  };
  const answered = <T>(value: T): T => (settled(), value);
  const failed = (error: unknown): never => {
    settled();
    throw error;
  };
  app.addHook('onRoute', (route) => {
    const handler = route.handler;
    // Not an async function (a long-poll would hold its suspended frame while it waits), but
    // the same to fastify: always a promise, rejected when the handler throws.
    route.handler = function (this: FastifyInstance, request, reply) {
      running++;
      let result: unknown;
      try {
        result = handler.call(this, request, reply);
      } catch (error) {
        settled();
        return Promise.reject(error);
      }
      return Promise.resolve(result).then(answered, failed);
    };
  });
  app.decorate('handlersSettled', () => (running === 0 ? Promise.resolve() : new Promise<void>((resolve) => waiters.push(resolve))));
}
