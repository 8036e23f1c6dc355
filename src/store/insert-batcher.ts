/**
 * Group commit: rows inserted during one turn of the event loop are written together in
 * one statement (one transaction, one fsync), flushed on `setImmediate`, and each caller
 * is answered only after that commit. Under load this turns hundreds of commits into one;
 * a lone request waits for nothing but its own turn.
 */
export class InsertBatcher<Row> {
  readonly #write: (rows: Row[]) => Promise<boolean[]>;
  readonly #maxBatch: number;
  #pending: Array<{ row: Row; resolve: (inserted: boolean) => void; reject: (error: unknown) => void }> = [];
  #scheduled = false;

  /** `write` inserts the rows and says, per row, whether it was inserted (false: a unique key already existed). */
  constructor(write: (rows: Row[]) => Promise<boolean[]>, maxBatch = 200) {
    this.#write = write;
    this.#maxBatch = maxBatch;
  }

  insert(row: Row): Promise<boolean> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ row, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => void this.#flush());
      }
    });
  }

  async #flush(): Promise<void> {
    this.#scheduled = false;
    const batch = this.#pending;
    this.#pending = [];
    for (let i = 0; i < batch.length; i += this.#maxBatch) {
      const chunk = batch.slice(i, i + this.#maxBatch);
      try {
        const inserted = await this.#write(chunk.map((p) => p.row));
        chunk.forEach((p, j) => p.resolve(inserted[j] === true));
      } catch (error) {
        for (const p of chunk) p.reject(error);
      }
    }
  }
}
