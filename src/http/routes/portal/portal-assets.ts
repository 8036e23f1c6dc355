import type { FastifyInstance } from 'fastify';
import { portalStylesheet } from '../../../pages/portal/portal-style.js';

/**
 * The portal's stylesheet, from the gateway itself (no CDN). Its URL carries a digest of
 * its content (`?v=`), so the version the pages link to can be cached for good; any other
 * URL for it is cached briefly and revalidated by ETag.
 */
export async function portalAssetRoutes(app: FastifyInstance): Promise<void> {
  const sheet = portalStylesheet(app.gateway.config);
  const etag = `"${sheet.version}"`;
  app.get<{ Querystring: { v?: string } }>('/portal/assets/portal.css', async (request, reply) => {
    reply.header('etag', etag);
    reply.header('cache-control', request.query.v === sheet.version ? 'public, max-age=31536000, immutable' : 'public, max-age=300');
    if (request.headers['if-none-match'] === etag) return reply.code(304).send();
    return reply.type('text/css; charset=utf-8').send(sheet.css);
  });
}
