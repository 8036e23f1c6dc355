import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { inGracePeriod, outgoingKey, type Credentials, type MerchantUser } from '../gateway/credentials.js';
import {
  claimDueNotifications,
  pruneDeliveredNotifications,
  pullRetriesForward,
  recordAttempt,
  releaseLeases,
  type NotificationRecord,
} from '../store/notifications.js';
import type { Store } from '../store/store.js';
import { dialectOf } from '../store/dialect/locking.js';
import { vacuumIfChurned } from '../store/dialect/table-storage.js';
import { createPostForm, deliverCallback, type DeliveryResult, type PostForm } from './deliver-callback.js';
import { EndpointRecovery } from './endpoint-recovery.js';
import type { OutboundGuard } from './outbound-guard.js';
import { retryDelayMs } from './retry-schedule.js';
import { resignCallbackBody, webhookHeaders, webhookId } from './webhook-signature.js';

export interface NotificationWorkerOptions {
  store: Store;
  log: Logger;
  clock: () => number;
  /** The users whose keys sign each attempt (cached lookups). */
  credentials: Credentials;
  /** The longest wait between two attempts: the retries back off from 1 s up to it (see retryDelayMs). */
  retrySeconds: number;
  /** 0 = retry forever. */
  giveUpSeconds: number;
  concurrency: number;
  timeoutSeconds: number;
  /** Delivered callbacks and their attempts are deleted this many days after delivery; 0 = kept forever. */
  retentionDays: number;
  /** How often delivered callbacks past retention are pruned (default a minute). */
  pruneIntervalMs?: number;
  /** How often to look for due deliveries when nobody wakes the worker (retries, other instances' work). */
  pollIntervalMs?: number;
  owner?: string;
  /** Refuses private and local addresses (config.outboundGuard); undefined: any address. */
  guard?: OutboundGuard;
  /** How a callback is POSTed (tests replace it); default: node:http(s) behind `guard`. */
  post?: PostForm;
  /** Claims up to `limit` due callbacks under a lease (tests slow it down); default claimDueNotifications. */
  claim?: (owner: string, now: number, leaseUntil: number, limit: number) => Promise<NotificationRecord[]>;
  /** The retry schedule's jitter draws, in [0, 1) (tests fix it). */
  random?: () => number;
  /** Told of every attempt once it is recorded (the metrics count them). */
  onAttempt?: (outcome: DeliveryOutcome) => void;
  /**
   * How many of an endpoint's waiting retries one delivery to it may make due at once
   * (EndpointRecovery); default 4 × concurrency.
   */
  pullBatch?: number;
}

/** What became of one delivery attempt: delivered, failed (to be retried), or failed and given up. */
export type DeliveryOutcome = 'delivered' | 'failed' | 'abandoned';

const PRUNE_BATCH = 1_000;

/**
 * The outbox is vacuumed by its worker when it holds at least this many dead row versions,
 * and at least this share of its live rows. Every attempt rewrites a row and every one
 * leaves a dead version behind, with its entries in the claim's indexes; while a merchant
 * is down a backlog of 50,000 callbacks retried each second leaves 50,000 a second.
 * Autovacuum wakes once a minute (`autovacuum_naptime`) and, after a 30 s outage, the
 * claims and the attempts' records walked ~150,000 dead versions: the drain took 19–32 s
 * on PostgreSQL. Looked at every VACUUM_INTERVAL_MS and vacuumed when past these limits
 * (0.2–0.6 s each, beside the traffic), it drained in 9.6–10.6 s.
 */
const VACUUM_LIMITS = { minDead: 10_000, deadShare: 0.2 };
const VACUUM_INTERVAL_MS = 3_000;

/**
 * The outbox worker: claims due callbacks under a lease, a few more than its free slots so
 * a slot that frees need not wait for the next claim, POSTs them concurrently (a slow
 * merchant holds one slot, not the queue), records every attempt, and reschedules with
 * exponential backoff and jitter (capped at `retrySeconds`) until the merchant answers
 * `sent`. A delivery to an endpoint that had been failing makes its waiting retries due
 * (EndpointRecovery). `wake()` makes a new notification go out at once. Once a minute it
 * prunes delivered callbacks past their retention.
 */
export class NotificationWorker {
  readonly owner: string;
  readonly #o: Required<Omit<NotificationWorkerOptions, 'owner' | 'guard' | 'pullBatch'>>;
  readonly #recovery: EndpointRecovery;
  readonly #inflight = new Set<Promise<void>>();
  /** Claimed (leased) callbacks waiting for a free slot, each with when it was claimed. */
  readonly #ready: Array<{ row: NotificationRecord; claimedAt: number }> = [];
  /** Deliveries finished since the last claim began; read when it returns, it sizes the reserve. */
  #finishedSinceClaim = 0;
  #reserve = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #wakeRequested = false;
  #wakeSleep: (() => void) | undefined;
  #pruneTimer: NodeJS.Timeout | undefined;
  #pruning: Promise<unknown> | undefined;
  #vacuumTimer: NodeJS.Timeout | undefined;
  #vacuuming: Promise<unknown> | undefined;

  constructor(options: NotificationWorkerOptions) {
    this.owner = options.owner ?? `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
    this.#o = {
      pollIntervalMs: 1000,
      pruneIntervalMs: 60_000,
      random: Math.random,
      ...options,
      onAttempt: options.onAttempt ?? (() => {}),
      post: options.post ?? createPostForm({ guard: options.guard }),
      claim: options.claim ?? ((owner, now, leaseUntil, limit) => claimDueNotifications(options.store.db, owner, now, leaseUntil, limit)),
    };
    const { store, log, clock } = this.#o;
    this.#recovery = new EndpointRecovery({
      batch: options.pullBatch ?? options.concurrency * 4,
      pull: (endpoint, limit) => pullRetriesForward(store.db, endpoint, clock(), limit),
      onPulled: (endpoint, count) => {
        log.debug({ endpoint, count }, 'an endpoint took a callback: its waiting retries are due now');
        this.wake();
      },
      onError: (error, endpoint) => log.error({ err: error, endpoint }, 'pulling retries forward failed'),
    });
  }

  get inflight(): number {
    return this.#inflight.size;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
    this.#schedulePrune();
    this.#scheduleVacuum();
  }

  wake(): void {
    this.#wakeRequested = true;
    this.#wakeSleep?.();
  }

  /**
   * Stops claiming, waits up to `graceMs` for deliveries in flight, then gives back every
   * lease this worker holds so another instance can take them at once.
   */
  async stop(graceMs = 10_000): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#pruneTimer);
    clearTimeout(this.#vacuumTimer);
    this.wake();
    await this.#loop;
    await this.#pruning;
    await this.#vacuuming;
    if (this.#inflight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.allSettled([...this.#inflight]),
        new Promise((resolve) => (timer = setTimeout(resolve, graceMs))),
      ]);
      clearTimeout(timer);
    }
    await this.#recovery.settle();
    // The claimed callbacks never started are given back with the rest of this worker's leases.
    this.#ready.length = 0;
    try {
      const released = await releaseLeases(this.#o.store.db, this.owner);
      if (released > 0) this.#o.log.info({ released }, 'released notification leases');
    } catch (error) {
      this.#o.log.error({ err: error }, 'could not release notification leases');
    }
  }

  async #run(): Promise<void> {
    const { clock, concurrency, timeoutSeconds, log, claim } = this.#o;
    // Longer than any attempt can take (it is aborted at the timeout), so a live holder
    // never loses its lease; a dead one's deliveries are taken over once it runs out.
    const leaseMs = timeoutSeconds * 2_000 + 5_000;
    while (this.#running) {
      this.#wakeRequested = false;
      // Every free slot, plus a reserve for the slots that will free while this claim is
      // on its way (as many as freed during the last one): a slot that frees takes the
      // next claimed callback at once instead of idling for a claim's round trip, which
      // on SQLite waits for a group commit (see docs/callbacks.md).
      const free = concurrency - this.#inflight.size;
      const wanted = Math.max(0, free + this.#reserve - this.#ready.length);
      let claimed = 0;
      if (wanted > 0) {
        this.#finishedSinceClaim = 0;
        try {
          const now = clock();
          const rows = await claim(this.owner, now, now + leaseMs, wanted);
          const claimedAt = clock();
          for (const row of rows) this.#ready.push({ row, claimedAt });
          claimed = rows.length;
          if (claimed < wanted) this.#recovery.noteIdle(now);
        } catch (error) {
          if (!this.#running) break;
          log.error({ err: error }, 'claiming notifications failed');
        } finally {
          this.#reserve = Math.min(concurrency, this.#finishedSinceClaim);
        }
        this.#startReady();
      }
      if (claimed > 0 && claimed === wanted) continue;
      await this.#sleep(this.#o.pollIntervalMs);
    }
  }

  /**
   * Starts claimed callbacks in the free slots. One that waited longer than an attempt's
   * timeout (every slot held by slow merchants) is left to its lease: another claim takes
   * it once the lease runs out, so no attempt can outlive the lease it was sent under.
   */
  #startReady(): void {
    const { concurrency, timeoutSeconds, clock } = this.#o;
    while (this.#running && this.#inflight.size < concurrency) {
      const next = this.#ready.shift();
      if (!next) return;
      if (clock() - next.claimedAt > timeoutSeconds * 1_000) continue;
      this.#track(this.#deliver(next.row));
    }
  }

  /**
   * Deletes delivered callbacks (and their attempts) older than the retention, a thousand
   * per transaction so no batch holds the database for long, until none is left; answers
   * how many. Abandoned callbacks are kept: they may be re-sent.
   */
  async prune(): Promise<number> {
    const { retentionDays, store, clock } = this.#o;
    if (retentionDays === 0) return 0;
    const before = clock() - retentionDays * 86_400_000;
    let total = 0;
    for (;;) {
      const deleted = await pruneDeliveredNotifications(store.db, before, PRUNE_BATCH);
      total += deleted;
      if (deleted < PRUNE_BATCH || !this.#running) return total;
      // Let deliveries and requests write between two batches.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  #schedulePrune(): void {
    if (this.#o.retentionDays === 0) return;
    this.#pruneTimer = setTimeout(() => {
      this.#pruning = this.prune()
        .then((deleted) => {
          if (deleted > 0) this.#o.log.info({ deleted }, 'pruned delivered callbacks past NOTIFY_RETENTION_DAYS');
        })
        .catch((error: unknown) => this.#o.log.error({ err: error }, 'pruning delivered callbacks failed'))
        .finally(() => {
          this.#pruning = undefined;
          if (this.#running) this.#schedulePrune();
        });
    }, this.#o.pruneIntervalMs);
  }

  /** PostgreSQL: vacuums the outbox when its dead row versions pile up (VACUUM_LIMITS); SQLite: nothing. */
  #scheduleVacuum(): void {
    if (dialectOf(this.#o.store.db) !== 'postgres') return;
    this.#vacuumTimer = setTimeout(() => {
      const started = this.#o.clock();
      this.#vacuuming = vacuumIfChurned(this.#o.store.db, 'notifications', VACUUM_LIMITS)
        .then((seen) => {
          if (seen?.vacuumed) this.#o.log.debug({ ...seen, ms: this.#o.clock() - started }, 'vacuumed the callback outbox');
        })
        .catch((error: unknown) => this.#o.log.warn({ err: error }, 'vacuuming the callback outbox failed'))
        .finally(() => {
          this.#vacuuming = undefined;
          if (this.#running) this.#scheduleVacuum();
        });
    }, VACUUM_INTERVAL_MS);
    this.#vacuumTimer.unref();
  }

  #track(delivery: Promise<void>): void {
    this.#inflight.add(delivery);
    void delivery.finally(() => {
      this.#inflight.delete(delivery);
      this.#finishedSinceClaim++;
      // A slot opened: it takes the next claimed delivery, and the loop claims more
      // without waiting for the poll.
      this.#startReady();
      this.wake();
    });
  }

  async #deliver(row: NotificationRecord): Promise<void> {
    const { store, clock, retrySeconds, giveUpSeconds, timeoutSeconds, log, post, random, onAttempt } = this.#o;
    const attemptedAt = clock();
    const signed = await this.#sign(row, attemptedAt);
    const result: DeliveryResult =
      'error' in signed
        ? { ok: false, httpStatus: null, bodyExcerpt: null, durationMs: 0, error: signed.error }
        : await deliverCallback(row.url, signed.body, timeoutSeconds * 1000, post, signed.headers);
    const now = clock();
    const abandon = !result.ok && giveUpSeconds > 0 && now - Number(row.created_at) >= giveUpSeconds * 1000;
    try {
      await recordAttempt(
        store.db,
        {
          notification_id: Number(row.id),
          attempted_at: attemptedAt,
          http_status: result.httpStatus,
          body_excerpt: result.bodyExcerpt,
          duration_ms: result.durationMs,
          error: result.error,
          owner: this.owner,
        },
        result.ok ? { delivered: true } : { delivered: false, nextAttemptAt: now + retryDelayMs(row.attempts + 1, retrySeconds * 1000, random()), abandon },
      );
    } catch (error) {
      // The lease runs out and the delivery is tried again: at least once, never lost.
      log.error({ err: error, notificationId: row.id }, 'recording a delivery attempt failed');
      return;
    }
    onAttempt(result.ok ? 'delivered' : abandon ? 'abandoned' : 'failed');
    if (row.endpoint !== null) {
      if (result.ok) this.#recovery.noteDelivery(row.endpoint, row.attempts > 0, now);
      else this.#recovery.noteFailure(row.endpoint, now);
    }
    const logFields = { notificationId: row.id, orderId: row.order_id, attempt: row.attempts + 1, httpStatus: result.httpStatus, ms: result.durationMs };
    if (result.ok) log.debug(logFields, 'callback delivered');
    else if (abandon) log.warn({ ...logFields, error: result.error }, 'callback abandoned past NOTIFY_GIVE_UP_SECONDS');
    else log.info({ ...logFields, error: result.error, body: result.bodyExcerpt }, 'callback not acknowledged; will retry');
  }

  /**
   * The body and headers of this attempt, signed with the keys due `now`: the Latipay
   * `signature` with the key the merchant is known to hold (the old one during a rotation's
   * grace period), `webhook-signature` with every key the merchant may hold.
   */
  async #sign(row: NotificationRecord, now: number): Promise<{ body: string; headers: Record<string, string> } | { error: string }> {
    let user: MerchantUser | undefined;
    try {
      user = row.user_id === null ? undefined : await this.#o.credentials.findUser(row.user_id);
    } catch (error) {
      this.#o.log.error({ err: error, notificationId: row.id }, 'reading the user of a callback failed');
      return { error: 'could not read the user whose key signs the callback' };
    }
    if (!user) return { error: `no user ${row.user_id ?? '(none)'} to sign the callback` };
    const body = resignCallbackBody(row.body, outgoingKey(user, now));
    const keys = inGracePeriod(user, now) ? [user.previousApiKey as string, user.apiKey] : [user.apiKey];
    return { body, headers: webhookHeaders(keys, webhookId(row), Math.floor(now / 1000), body) };
  }

  async #sleep(ms: number): Promise<void> {
    if (this.#wakeRequested || !this.#running) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wakeSleep = done;
    });
    this.#wakeSleep = undefined;
  }
}
