import type { FastifyInstance } from 'fastify';
import { latipayError } from '../domain/errors.js';

/**
 * PostgreSQL text cannot hold U+0000: a query carrying one fails as a server error. No
 * Latipay field has a use for it, so a request with one in its path, query or body is
 * refused before any handler runs (207 naming the field; a 400 page on HTML routes).
 */
export function installNulGuard(app: FastifyInstance): void {
  app.addHook('preValidation', async (request) => {
    const field = findNul(request.params) ?? findNul(request.query) ?? findNul(request.body);
    if (field === undefined) return;
    if ((request.routeOptions.config as { html?: boolean } | undefined)?.html === true) {
      throw Object.assign(new Error('NUL character in the request'), { statusCode: 400 });
    }
    throw latipayError('BAD_PARAMETER', `${field || 'the request'} must not contain the NUL character`);
  });
}

/** The name of the first field whose value contains U+0000, at any depth; undefined when none does. */
function findNul(value: unknown, name = ''): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? name : undefined;
  if (typeof value !== 'object' || value === null) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const found = findNul(inner, name || key);
    if (found !== undefined) return found;
  }
  return undefined;
}
