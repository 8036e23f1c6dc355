import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
import { UNMATCHED_ROUTE, type GatewayMetrics } from './metrics.js';

export interface RequestObserverOptions {
  /** Where each answered request is counted; undefined: METRICS=off. */
  metrics?: GatewayMetrics;
}

/**
 * What the gateway notes of each answered request: an observation in the request histogram.
 * Fastify calls `requestCompleted` once a response has finished, whether or not anything
 * listens, so hooking in here adds no hook to the request lifecycle of the hot routes.
 * Fastify's own request lines (`incoming request`, `request completed`, with the raw URL)
 * stay off.
 */
export class RequestObserver extends LogController {
  readonly #metrics: GatewayMetrics | undefined;

  constructor(options: RequestObserverOptions) {
    super({ disableRequestLogging: true });
    this.#metrics = options.metrics;
  }

  override requestCompleted(_error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    this.#metrics?.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED_ROUTE, reply.statusCode, reply.elapsedTime / 1000);
  }
}
