import type { FastifyInstance } from 'fastify';
import { themeFor } from '../../pages/theme.js';

/**
 * `GET /brand/logo`: the operator's logo (BRAND_LOGO_FILE, read and checked once at start),
 * which the pages' header shows as `/brand/logo?v=<digest>`. A day's caching, revalidated by
 * ETag; the versioned URL changes with the file. No logo configured: 404.
 *
 * Outside the pages' scope: an image, not a document. Its own policy forbids everything
 * (and sandboxes it), so an SVG opened directly can neither run nor fetch anything; drawn as
 * an <img>, as the pages draw it, it is unaffected.
 */
export async function brandRoutes(app: FastifyInstance): Promise<void> {
  const logo = app.gateway.config.brandLogo;
  const tag = `"${themeFor(app.gateway.config).logoTag ?? ''}"`;

  app.get('/brand/logo', async (request, reply) => {
    if (!logo) return reply.callNotFound();
    reply.headers({
      'cache-control': 'public, max-age=86400',
      etag: tag,
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'none'; sandbox",
      'cross-origin-resource-policy': 'same-origin',
    });
    const known = request.headers['if-none-match'];
    if (known !== undefined && known.split(',').some((value) => value.trim().replace(/^W\//, '') === tag)) return reply.code(304).send();
    return reply.type(logo.contentType).send(logo.bytes);
  });
}
