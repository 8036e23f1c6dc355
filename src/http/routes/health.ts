import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';

/** `GET /healthz`: 200 when the database answers, 503 when it does not. */
export async function healthRoute(app: FastifyInstance): Promise<void> {
  app.get('/healthz', async (_request, reply) => {
    try {
      await sql`select 1`.execute(app.gateway.store.db);
      return { status: 'ok', database: app.gateway.store.kind };
    } catch (error) {
      app.log.error({ err: error }, 'health check: database unreachable');
      return reply.code(503).send({ status: 'unavailable', database: app.gateway.store.kind });
    }
  });
}
