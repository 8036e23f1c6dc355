/**
 * The numbers of new orders, taken from the database's shared counter a block at a time
 * (`takeIdBlock`): unique across every process on the database, with no round trip per
 * order. The next block is fetched while half of the current one is left, so a create
 * waits for the database only when a burst outruns a block, or for the first one.
 *
 * Numbers a process took but did not use (it stopped, or a create failed) are skipped for
 * good: order ids are unique and increasing per process, not gapless.
 */
export class OrderNumbers {
  readonly #take: (size: number) => Promise<number>;
  readonly #blockSize: number;
  #next = 0;
  #end = 0;
  #spare: { first: number; end: number } | undefined;
  #fetching: Promise<void> | undefined;

  constructor(take: (size: number) => Promise<number>, blockSize = 1000) {
    this.#take = take;
    this.#blockSize = blockSize;
  }

  /** The next number: synchronous while the block lasts, else once a block has come. */
  next(): number | Promise<number> {
    if (this.#next < this.#end) {
      const number = this.#next++;
      if (this.#end - this.#next === this.#blockSize >> 1 && this.#spare === undefined) void this.#fetch().catch(() => {});
      return number;
    }
    if (this.#spare) {
      this.#next = this.#spare.first;
      this.#end = this.#spare.end;
      this.#spare = undefined;
      return this.next();
    }
    return this.#fetch().then(() => this.next());
  }

  /** One fetch at a time; a failed one is retried by the next caller (its error goes to the waiting ones). */
  #fetch(): Promise<void> {
    this.#fetching ??= this.#take(this.#blockSize)
      .then((first) => {
        this.#spare = { first, end: first + this.#blockSize };
      })
      .finally(() => {
        this.#fetching = undefined;
      });
    return this.#fetching;
  }
}
