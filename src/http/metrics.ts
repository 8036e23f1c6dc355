import type { GatewayObserver } from '../gateway/context.js';
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Registry, type MetricValueWithName } from 'prom-client';
import { ORDER_STATUSES } from '../domain/order-status.js';
import type { DeliveryOutcome } from '../notify/notification-worker.js';
import { measureCallbackQueue } from '../store/notifications.js';
import { OrderStatusCounter } from '../store/order-counts.js';
import type { Store } from '../store/store.js';

/**
 * The gateway's Prometheus metrics (docs/operations.md lists them). Nothing merchant-specific
 * is ever a label: requests are labelled by route pattern (`/v2/transaction/:merchant_reference`,
 * never the reference), method and status code; orders by status; deliveries by outcome.
 *
 * Per request it costs one histogram observation (RequestHistogram: a map lookup and a few
 * additions). The database figures are read when Prometheus scrapes, at most once per
 * `databaseCacheMs`, however many scrape.
 */
export interface GatewayMetricsOptions {
  store: Store;
  log: Logger;
  clock?: () => number;
  /** How long the database figures of a scrape are reused (default 10 s). */
  databaseCacheMs?: number;
}

/** Seconds; the upper buckets are for long-polls (LONG_POLL_SECONDS) and live-status streams. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 180];

/** Requests no route matched share one label value, so a scan of random URLs adds no series. */
export const UNMATCHED_ROUTE = 'unmatched';

export class GatewayMetrics implements GatewayObserver {
  readonly registry = new Registry();
  readonly #store: Store;
  readonly #log: Logger;
  readonly #clock: () => number;
  readonly #databaseCacheMs: number;
  readonly #requests: RequestHistogram;
  readonly #attempts: Counter<'outcome'>;
  readonly #events: Counter<'event'>;
  readonly #orders: Gauge<'status'>;
  readonly #callbacksPending: Gauge;
  readonly #callbacksDue: Gauge;
  readonly #callbacksAbandoned: Gauge;
  readonly #oldestPendingAge: Gauge;
  readonly #orderCounter: OrderStatusCounter;
  #databaseReadAt = Number.NEGATIVE_INFINITY;
  #databaseRead: Promise<void> | undefined;

  constructor(options: GatewayMetricsOptions) {
    this.#store = options.store;
    this.#log = options.log;
    this.#clock = options.clock ?? Date.now;
    this.#databaseCacheMs = options.databaseCacheMs ?? 10_000;
    this.#orderCounter = new OrderStatusCounter(options.store.db);
    // Started now, so the event-loop figures cover the time before the first scrape too.
    runtimeRegistry();
    const registers = [this.registry];

    this.#requests = new RequestHistogram(
      'latipay_http_request_duration_seconds',
      'HTTP requests answered, by method, route pattern and status code, and how long they took',
      REQUEST_BUCKETS,
    );
    this.registry.registerMetric(this.#requests as never);
    this.#attempts = new Counter({
      name: 'latipay_callback_attempts_total',
      help: 'Callback delivery attempts made by this process, by outcome: delivered, failed (to be retried), abandoned (failed and given up)',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['delivered', 'failed', 'abandoned'] satisfies DeliveryOutcome[]) this.#attempts.inc({ outcome }, 0);
    this.#events = new Counter({
      name: 'latipay_attention_events_total',
      help: 'What an operator should look at, counted by this process: refund_failed_after_acceptance (a refund the provider accepted, then failed; its money is back in the wallet), payment_flagged (a payment that did not match its order, flagged for review), reversal_failed (a late payment the provider would not give back; its order flagged for review)',
      labelNames: ['event'],
      registers,
    });
    for (const event of ['refund_failed_after_acceptance', 'payment_flagged', 'reversal_failed']) this.#events.inc({ event }, 0);

    this.#orders = new Gauge({ name: 'latipay_orders', help: 'Orders in the database by status (the same from every instance)', labelNames: ['status'], registers });
    this.#callbacksPending = new Gauge({ name: 'latipay_callbacks_pending', help: 'Callbacks not delivered yet: due now or waiting for their next attempt', registers });
    this.#callbacksDue = new Gauge({ name: 'latipay_callbacks_due', help: 'Pending callbacks whose next attempt is due now (the backlog)', registers });
    this.#callbacksAbandoned = new Gauge({ name: 'latipay_callbacks_abandoned', help: 'Callbacks given up past NOTIFY_GIVE_UP_SECONDS, until re-sent', registers });
    this.#oldestPendingAge = new Gauge({
      name: 'latipay_callbacks_oldest_pending_age_seconds',
      help: 'Age of the oldest pending callback since it was queued; 0 when none is pending',
      registers,
    });

    const pool = options.store.parts.pool;
    if (pool) {
      // Read from the pg Pool as it stands at the scrape: no query.
      const poolGauge = (name: string, help: string, read: () => number) =>
        new Gauge({
          name,
          help,
          registers,
          collect() {
            this.set(read());
          },
        });
      poolGauge('latipay_db_pool_clients', 'PostgreSQL connections open in this process', () => pool.totalCount);
      poolGauge('latipay_db_pool_idle_clients', 'PostgreSQL connections open and idle', () => pool.idleCount);
      poolGauge('latipay_db_pool_waiting_requests', 'Queries waiting for a PostgreSQL connection (the pool is exhausted)', () => pool.waitingCount);
      poolGauge('latipay_db_pool_max_clients', 'The pool size (DATABASE_POOL_SIZE)', () => pool.options.max ?? 10);
    }
  }

  /** One answered request; `route` is the route's pattern (UNMATCHED_ROUTE when none matched). */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    this.#requests.observe(method, route, statusCode, seconds);
  }

  refundFailedAfterAcceptance(): void {
    this.#events.inc({ event: 'refund_failed_after_acceptance' });
  }

  paymentFlagged(): void {
    this.#events.inc({ event: 'payment_flagged' });
  }

  reversalFailed(): void {
    this.#events.inc({ event: 'reversal_failed' });
  }

  /** One recorded delivery attempt (NotificationWorker's onAttempt). */
  countAttempt(outcome: DeliveryOutcome): void {
    this.#attempts.inc({ outcome });
  }

  /** The exposition: this process's runtime metrics (event loop, memory, GC…) and the gateway's. */
  async render(): Promise<string> {
    await this.#readDatabase();
    const [runtime, gateway] = await Promise.all([runtimeRegistry().metrics(), this.registry.metrics()]);
    return `${runtime}\n${gateway}`;
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** Sets the database gauges, unless they were read less than databaseCacheMs ago; one read at a time. */
  async #readDatabase(): Promise<void> {
    if (this.#clock() - this.#databaseReadAt < this.#databaseCacheMs) return;
    this.#databaseRead ??= this.#readDatabaseNow().finally(() => (this.#databaseRead = undefined));
    await this.#databaseRead;
  }

  async #readDatabaseNow(): Promise<void> {
    const now = this.#clock();
    try {
      const [orders, queue] = await Promise.all([this.#orderCounter.count(now), measureCallbackQueue(this.#store.db, now)]);
      for (const status of ORDER_STATUSES) this.#orders.set({ status }, orders[status]);
      this.#callbacksPending.set(queue.pending);
      this.#callbacksDue.set(queue.due);
      this.#callbacksAbandoned.set(queue.abandoned);
      this.#oldestPendingAge.set(queue.oldestPendingCreatedAt === undefined ? 0 : Math.max(0, now - queue.oldestPendingCreatedAt) / 1000);
      this.#databaseReadAt = now;
    } catch (error) {
      // The scrape still answers the rest; figures that could not be read are left out, not shown stale.
      for (const gauge of [this.#orders, this.#callbacksPending, this.#callbacksDue, this.#callbacksAbandoned, this.#oldestPendingAge]) gauge.reset();
      this.#log.warn({ err: error }, 'metrics: reading the database figures failed');
    }
  }
}

interface RequestSeries {
  labels: { method: string; route: string; status_code: number };
  /** Observations per bucket (not cumulative); the last one is +Inf. */
  counts: number[];
  sum: number;
  count: number;
}

/**
 * The request histogram, observed on every request. prom-client's Histogram validates and
 * hashes the labels and turns the bucket bound into a property name on each observation
 * (about 0.6 µs); this keeps one series per label set in a map and adds to numbers, and
 * hands prom-client the values it writes at scrape time.
 */
class RequestHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** route → method → status code → series: lookups by strings that are the same objects each time (hashed once) and a number. */
  readonly #series = new Map<string, Map<string, Map<number, RequestSeries>>>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly buckets: readonly number[],
  ) {}

  observe(method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.#series.get(route);
    if (!byMethod) this.#series.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (!byStatus) byMethod.set(method, (byStatus = new Map()));
    let series = byStatus.get(statusCode);
    if (!series) {
      series = { labels: { method, route, status_code: statusCode }, counts: new Array<number>(this.buckets.length + 1).fill(0), sum: 0, count: 0 };
      byStatus.set(statusCode, series);
    }
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]) i++;
    series.counts[i]++;
    series.sum += seconds;
    series.count++;
  }

  /** As prom-client's own histograms answer it: cumulative buckets, then _sum and _count. */
  async get(): Promise<{ name: string; help: string; type: 'histogram'; aggregator: 'sum'; values: Array<MetricValueWithName<string>> }> {
    const values: Array<MetricValueWithName<string>> = [];
    const all = [...this.#series.values()].flatMap((byMethod) => [...byMethod.values()].flatMap((byStatus) => [...byStatus.values()]));
    for (const { labels, counts, sum, count } of all) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += counts[i];
        values.push({ metricName: `${this.name}_bucket`, labels: { le }, sharedLabels: labels, value: cumulative } as MetricValueWithName<string>);
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { le: '+Inf' }, sharedLabels: labels, value: count } as MetricValueWithName<string>);
      values.push({ metricName: `${this.name}_sum`, labels, value: sum });
      values.push({ metricName: `${this.name}_count`, labels, value: count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.#series.clear();
  }
}

let runtime: Registry | undefined;

/**
 * prom-client's default metrics (event-loop lag, heap, GC, CPU, handles), once per process:
 * they describe the process, and each collection starts an event-loop monitor and a GC
 * observer that live as long as it does.
 */
function runtimeRegistry(): Registry {
  if (!runtime) {
    runtime = new Registry();
    collectDefaultMetrics({ register: runtime });
  }
  return runtime;
}

/**
 * `GET /metrics` on `app`. With a token, a request without `Authorization: Bearer <token>`
 * is answered 401 (compared in constant time).
 */
export function registerMetricsRoute(app: FastifyInstance, metrics: GatewayMetrics, token: string | undefined): void {
  const expected = token === undefined ? undefined : digest(token);
  app.get('/metrics', async (request: FastifyRequest, reply: FastifyReply) => {
    reply.header('cache-control', 'no-store');
    if (expected && !bearerMatches(request.headers.authorization, expected)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').type('text/plain; charset=utf-8').send('unauthorized\n');
    }
    return reply.type(metrics.contentType).send(await metrics.render());
  });
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function bearerMatches(header: string | undefined, expected: Buffer): boolean {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Digests have one length, so the comparison takes the same time whatever was sent.
  return match !== null && timingSafeEqual(digest(match[1]), expected);
}
