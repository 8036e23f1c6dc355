import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { Logger } from 'pino';
import type { Store } from '../store/store.js';
import { registerMetricsRoute, type GatewayMetrics } from './metrics.js';

export interface MetricsAppDeps {
  metrics: GatewayMetrics;
  store: Store;
  logger: Logger;
  /** METRICS_TOKEN. */
  token: string | undefined;
}

/**
 * The app of the METRICS_PORT listener: `GET /metrics` and `GET /healthz` only, for a
 * network the public never reaches, and for `latipay worker`, which has no API to serve
 * them. Like buildApp, it never listens: the entry point does.
 */
export async function buildMetricsApp(deps: MetricsAppDeps): Promise<FastifyInstance> {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger, logController: new LogController({ disableRequestLogging: true }) });
  registerMetricsRoute(app, deps.metrics, deps.token);
  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(deps.store.db);
      return { status: 'ok', database: deps.store.kind };
    } catch (error) {
      deps.logger.error({ err: error }, 'health check: database unreachable');
      return reply.code(503).send({ status: 'unavailable', database: deps.store.kind });
    }
  });
  return app;
}
