/**
 * Decides when an endpoint's waiting retries are pulled forward. After a merchant's outage its
 * callbacks wait out their backoff (up to NOTIFY_RETRY_SECONDS) although the merchant is back;
 * the first callback it takes says it is back, and its waiting retries can go out now. Pulled
 * in batches, so that its backlog does not queue ahead of every other merchant's callbacks:
 *
 * - a pull is considered on a delivery to the endpoint when the callback delivered had failed
 *   before, or when this process saw an attempt to the endpoint fail since its last pull
 *   (nothing is done for an endpoint that has not failed: no state, no query);
 * - it makes at most `batch` retries due, and no more than one pull a second per endpoint,
 *   except that a full batch is followed by the next one as soon as half of it has been
 *   delivered here, or as soon as this process finds nothing due (other processes took the
 *   batch) and saw no failure since: the pulls go at the pace the merchant takes them;
 * - one pull at a time per endpoint; a failure of the pulled callbacks stops the refills
 *   (they go back to their schedule).
 */
export class EndpointRecovery {
  readonly #pull: (endpoint: string, limit: number) => Promise<number>;
  readonly #batch: number;
  readonly #states = new Map<string, EndpointState>();
  readonly #pulls = new Set<Promise<void>>();
  readonly #onPulled: (endpoint: string, count: number) => void;
  readonly #onError: (error: unknown, endpoint: string) => void;
  #sweptAt = -Infinity;

  /**
   * `pull` makes up to `limit` of the endpoint's waiting retries due and answers how many
   * (pullRetriesForward); `onPulled` is told when some were.
   */
  constructor(options: {
    pull: (endpoint: string, limit: number) => Promise<number>;
    batch: number;
    onPulled: (endpoint: string, count: number) => void;
    onError: (error: unknown, endpoint: string) => void;
  }) {
    this.#pull = options.pull;
    this.#batch = options.batch;
    this.#onPulled = options.onPulled;
    this.#onError = options.onError;
  }

  /** An attempt to `endpoint` failed at `now`. */
  noteFailure(endpoint: string, now: number): void {
    const state = this.#stateOf(endpoint, now);
    state.failedSincePull = true;
    state.touchedAt = now;
  }

  /** A callback to `endpoint` was delivered at `now`; `hadFailed`: it had failed attempts before. */
  noteDelivery(endpoint: string, hadFailed: boolean, now: number): void {
    let state = this.#states.get(endpoint);
    if (!state) {
      if (!hadFailed) return;
      state = this.#stateOf(endpoint, now);
    }
    state.touchedAt = now;
    state.deliveredSincePull++;
    if (state.pulling) return;
    const full = state.lastPulled >= this.#batch;
    const refill = full && state.deliveredSincePull >= this.#batch / 2;
    const reason = hadFailed || state.failedSincePull || full;
    if (!refill && !(reason && now - state.lastPullAt >= 1_000)) return;
    this.#start(endpoint, state, now);
  }

  /**
   * The worker found fewer callbacks due than it could take: an endpoint whose last pull was a
   * full batch may have more waiting, and nothing is left due to deliver and so call for them.
   * Not one that failed since (it may be down again: its retries keep their schedule).
   */
  noteIdle(now: number): void {
    for (const [endpoint, state] of this.#states) {
      if (!state.pulling && !state.failedSincePull && state.lastPulled >= this.#batch) this.#start(endpoint, state, now);
    }
  }

  #start(endpoint: string, state: EndpointState, now: number): void {
    state.pulling = true;
    state.failedSincePull = false;
    state.deliveredSincePull = 0;
    state.lastPullAt = now;
    const pull = this.#pull(endpoint, this.#batch).then(
      (count) => {
        state.lastPulled = count;
        if (count > 0) this.#onPulled(endpoint, count);
      },
      (error: unknown) => {
        state.lastPulled = 0;
        this.#onError(error, endpoint);
      },
    );
    const tracked = pull.finally(() => {
      state.pulling = false;
      this.#pulls.delete(tracked);
    });
    this.#pulls.add(tracked);
  }

  /** Resolves once the pulls under way have finished (the worker's stop()). */
  async settle(): Promise<void> {
    await Promise.allSettled([...this.#pulls]);
  }

  /** Endpoints with state (for tests). */
  get size(): number {
    return this.#states.size;
  }

  #stateOf(endpoint: string, now: number): EndpointState {
    let state = this.#states.get(endpoint);
    if (!state) {
      if (this.#states.size >= MAX_ENDPOINTS) this.#forget(now);
      state = { failedSincePull: false, pulling: false, lastPulled: 0, deliveredSincePull: 0, lastPullAt: -Infinity, touchedAt: now };
      this.#states.set(endpoint, state);
    }
    return state;
  }

  /**
   * Forgets endpoints not heard of for a minute (a merchant that failed once, long ago), at
   * most once a second; when that is not enough, the oldest. Forgetting one costs at most a
   * pull that waits for its next failed or retried delivery.
   */
  #forget(now: number): void {
    if (now - this.#sweptAt >= 1_000) {
      this.#sweptAt = now;
      for (const [endpoint, state] of this.#states) {
        if (!state.pulling && now - state.touchedAt > 60_000) this.#states.delete(endpoint);
      }
    }
    for (const [endpoint, state] of this.#states) {
      if (this.#states.size < MAX_ENDPOINTS) break;
      if (!state.pulling) this.#states.delete(endpoint);
    }
  }
}

/** Endpoints kept before idle ones are forgotten: the map stays small however many merchants fail. */
const MAX_ENDPOINTS = 1_024;

interface EndpointState {
  /** An attempt failed (seen by this process) since the last pull. */
  failedSincePull: boolean;
  pulling: boolean;
  /** How many the last pull made due: a full batch means more may be waiting. */
  lastPulled: number;
  deliveredSincePull: number;
  lastPullAt: number;
  touchedAt: number;
}
