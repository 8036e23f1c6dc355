/**
 * How many of something (open streams, waiting long-polls) each key holds at once, up to
 * `max`. Per process: each gateway process counts its own.
 */
export class CountLimit {
  readonly #held = new Map<string, number>();

  constructor(readonly max: number) {}

  /**
   * Takes one of `key`'s slots. Returns the function that gives it back (calling it again
   * does nothing), or undefined when `key` already holds `max`.
   */
  take(key: string): (() => void) | undefined {
    const held = this.#held.get(key) ?? 0;
    if (held >= this.max) return undefined;
    this.#held.set(key, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#held.get(key) ?? 1) - 1;
      if (left > 0) this.#held.set(key, left);
      else this.#held.delete(key);
    };
  }

  /** How many slots `key` holds now. */
  held(key: string): number {
    return this.#held.get(key) ?? 0;
  }

  /** How many keys hold a slot (a map that only grows would be a leak). */
  get keys(): number {
    return this.#held.size;
  }
}
