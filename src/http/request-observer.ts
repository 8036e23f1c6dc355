import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { UNMATCHED_ROUTE, type GatewayMetrics } from './metrics.js';

export interface RequestObserverOptions {
  /** Where each answered request is counted; undefined: METRICS=off. */
  metrics?: GatewayMetrics;
  /** LOG_REQUESTS: one info line per answered request. */
  logRequests: boolean;
}

/**
 * What the gateway notes of each answered request: an observation in the request histogram
 * and, with LOG_REQUESTS, one log line. Fastify calls `requestCompleted` once a response has
 * finished, whether or not anything listens, so hooking in here adds no hook to the request
 * lifecycle of the hot routes.
 *
 * The line names the route's pattern, never the URL: query strings carry signatures, and
 * paths carry merchant references and nonces. Bodies and headers are never logged. Fastify's
 * own request lines (`incoming request`, `request completed`, with the raw URL) stay off.
 */
export class RequestObserver extends LogController {
  readonly #metrics: GatewayMetrics | undefined;
  readonly #logRequests: boolean;

  constructor(options: RequestObserverOptions) {
    super({ disableRequestLogging: true });
    this.#metrics = options.metrics;
    this.#logRequests = options.logRequests;
  }

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const route = request.routeOptions.url ?? UNMATCHED_ROUTE;
    const ms = reply.elapsedTime;
    this.#metrics?.observeRequest(request.method, route, reply.statusCode, ms / 1000);
    if (this.#logRequests) {
      // reply.log carries the request id (reqId).
      const line = { method: request.method, route, status: reply.statusCode, ms: Math.round(ms * 10) / 10, client: request.ip };
      if (error) reply.log.warn({ ...line, error: error.message }, 'request ended with an error');
      else reply.log.info(line, 'request');
    }
  }
}
