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

/**
 * The name of the top-level field whose value contains U+0000 at any depth ('' when the
 * value itself is such a string); undefined when none does. Walks with its own stack, not
 * by recursion: how deep a request nests is the sender's choice.
 */
export function findNul(value: unknown): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? '' : undefined;
  // Raw bytes (a provider's notification) are the receiver's to read, not parameters.
  if (typeof value !== 'object' || value === null || Buffer.isBuffer(value)) return undefined;
  for (const [key, top] of Object.entries(value)) {
    // Merchant requests are flat: most values are strings, checked without the stack.
    if (typeof top === 'string') {
      if (top.includes('\u0000')) return key;
      continue;
    }
    if (typeof top !== 'object' || top === null) continue;
    const stack: unknown[] = [top];
    while (stack.length > 0) {
      const inner = stack.pop();
      if (typeof inner === 'string') {
        if (inner.includes('\u0000')) return key;
      } else if (typeof inner === 'object' && inner !== null) {
        for (const nested of Object.values(inner)) stack.push(nested);
      }
    }
  }
  return undefined;
}
