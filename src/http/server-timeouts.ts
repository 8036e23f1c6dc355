import type { ServerOptions } from 'node:http';
import type { Config } from '../config.js';

/** How long the server waits for a client, in milliseconds (docs/http-limits.md). */
export interface ServerTimeouts {
  /** The request line and headers must have arrived within this (Node's headersTimeout). */
  headersMs: number;
  /** The whole request, body included, must have arrived within this (requestTimeout). Not the response: a long-poll is not cut. */
  requestMs: number;
  /** How often Node looks for connections past those two limits. */
  checkIntervalMs: number;
  /** An idle keep-alive connection is closed after this. */
  keepAliveMs: number;
  /**
   * A connection on which nothing moves for this long is closed (the socket's timeout): longer
   * than the longest silence of a legitimate answer, a long-poll of LONG_POLL_SECONDS (a
   * live-status stream sends a heartbeat every 15 s).
   */
  idleMs: number;
}

export function serverTimeouts(config: Config, overrides: Partial<ServerTimeouts> = {}): ServerTimeouts {
  return {
    headersMs: 15_000,
    requestMs: 30_000,
    checkIntervalMs: 5_000,
    // Longer than the 60 s idle timeout of common load balancers, so they close first.
    keepAliveMs: 72_000,
    idleMs: (config.longPollSeconds + 30) * 1000,
    ...overrides,
  };
}

/** The fastify options that carry `timeouts`. */
export function timeoutOptions(timeouts: ServerTimeouts): {
  connectionTimeout: number;
  keepAliveTimeout: number;
  requestTimeout: number;
  http: ServerOptions;
} {
  return {
    connectionTimeout: timeouts.idleMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    requestTimeout: timeouts.requestMs,
    http: { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkIntervalMs },
  };
}
