import type { FastifyRequest } from 'fastify';
import type { RequestOrigin } from '../gateway/authenticate.js';

/** The client address of a request: the socket's peer, or X-Forwarded-For through the proxies TRUST_PROXY lists. */
export function originOf(request: FastifyRequest): RequestOrigin {
  return { address: request.ip };
}

/** The `Idempotency-Key` header [ours], when the client sent one. */
export function idempotencyKeyOf(request: FastifyRequest): string | undefined {
  const value = request.headers['idempotency-key'];
  return typeof value === 'string' ? value : undefined;
}
