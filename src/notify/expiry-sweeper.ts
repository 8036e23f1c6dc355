import type { Logger } from 'pino';

export interface ExpirySweeperOptions {
  /** One sweep (expireDueOrders bound to its context); resolves with how many orders expired. */
  sweep: () => Promise<number>;
  intervalMs: number;
  log: Logger;
}

/**
 * Runs the order-expiry sweep at start and then every `intervalMs` (EXPIRY_SWEEP_SECONDS),
 * one sweep at a time. Every instance may run one: the sweep itself is safe to run
 * concurrently. `stop()` waits for a sweep in progress.
 */
export class ExpirySweeper {
  readonly #o: ExpirySweeperOptions;
  #timer: NodeJS.Timeout | undefined;
  #current: Promise<void> | undefined;
  #running = false;

  constructor(options: ExpirySweeperOptions) {
    this.#o = options;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#tick();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#current;
  }

  #tick(): void {
    this.#current = this.#o
      .sweep()
      .then(
        () => undefined,
        (error: unknown) => {
          // The next sweep tries again; nothing is lost, the orders are still due.
          if (this.#running) this.#o.log.error({ err: error }, 'order expiry sweep failed');
        },
      )
      .finally(() => {
        this.#current = undefined;
        if (this.#running) this.#timer = setTimeout(() => this.#tick(), this.#o.intervalMs);
      });
  }
}
