import type SqliteDatabase from 'better-sqlite3';
import {
  CompiledQuery,
  SqliteDialect,
  type DatabaseConnection,
  type Driver,
  type QueryResult,
  type TransactionSettings,
} from 'kysely';

/**
 * Group commit for the embedded SQLite database. With `synchronous=FULL` every COMMIT
 * waits for the disk, and SQLite has one writer: a transaction per settlement, claim or
 * write meant an fsync each, one after the other (~150 settlements/s, most of the time in
 * COMMIT).
 *
 * Here the units of work that reach the database in one turn of the event loop share one
 * physical transaction (BEGIN IMMEDIATE … COMMIT). Each logical transaction runs as a
 * savepoint inside it, so a unit that fails rolls back alone; a statement outside a
 * transaction joins it as well. Every caller is answered only once the COMMIT that
 * covers its work is on disk, so what a caller is told is durable. A read that runs while
 * a physical transaction holds writes not yet on disk waits for that commit too: nobody
 * is shown data a crash could still take back.
 *
 * Units still run one at a time on the single connection (as kysely's own SQLite driver
 * runs them), so isolation is unchanged. If the COMMIT fails, every unit it held is
 * refused with that error and nothing of them is kept.
 *
 * With a file database a second, query-only connection answers reads made outside a
 * transaction: in WAL mode it sees the last commit, so such a read neither waits for the
 * writer's lock nor for a commit to begin. (A read inside a transaction runs on the
 * writer and sees that transaction's own writes.) Without it (`:memory:`), a read outside
 * a transaction that runs while writes are not on disk yet sees them, and is answered
 * only after their commit.
 *
 * With `walSync`, the wait for the disk leaves the event loop. The database then runs
 * with `synchronous=NORMAL`: SQLite's COMMIT writes the transaction to the WAL file
 * without syncing it, and `walSync` syncs that file (fdatasync in libuv's thread pool)
 * while the next group's statements run. Nobody is answered, and no reader is shown a
 * commit, before a sync that began after that commit has finished: the guarantee of
 * `synchronous=FULL`, which syncs the WAL in every COMMIT, on the event loop. At most one
 * sync runs at a time; the commits made meanwhile share the next one.
 */
export interface GroupCommitOptions {
  /** A second connection to the same file, for reads outside transactions. */
  reader?: SqliteDatabase.Database;
  /** Makes every commit so far durable (see above). */
  walSync?: WalSync;
}

export interface WalSync {
  sync(): Promise<void>;
  close(): Promise<void>;
}

export class GroupCommitSqliteDialect extends SqliteDialect {
  readonly #database: SqliteDatabase.Database;
  readonly #options: GroupCommitOptions;

  constructor(database: SqliteDatabase.Database, options: GroupCommitOptions = {}) {
    super({ database: database as never });
    this.#database = database;
    this.#options = options;
  }

  override createDriver(): Driver {
    return new GroupCommitSqliteDriver(this.#database, this.#options);
  }
}

/** Counters for tests and diagnostics. */
export interface GroupCommitStats {
  /** Physical commits made. */
  commits: number;
  /** Reads answered by the reader connection. */
  readerReads: number;
  /** WAL syncs made (with `walSync`). */
  walSyncs: number;
}

interface Waiter {
  resolve: () => void;
  reject: (error: unknown) => void;
}

const UNIT = 'latipay_unit';

export class GroupCommitSqliteDriver implements Driver {
  readonly #db: SqliteDatabase.Database;
  readonly #reader: SqliteDatabase.Database | undefined;
  readonly #statements: StatementCache;
  readonly #readerStatements: StatementCache | undefined;
  readonly #walSync: WalSync | undefined;
  readonly stats: GroupCommitStats = { commits: 0, readerReads: 0, walSyncs: 0 };
  // A FIFO lock over the one connection.
  #locked = false;
  readonly #queue: Array<() => void> = [];
  /** A physical transaction is open. */
  #open = false;
  /** It holds writes that are not on disk yet. */
  #dirty = false;
  /** Callers waiting for the physical commit. */
  #waiters: Waiter[] = [];
  #flushScheduled = false;
  // With walSync: commits made, commits known durable, and who waits for which.
  #committed = 0;
  #synced = 0;
  #syncing = false;
  #durableWaiters: Array<Waiter & { commit: number }> = [];

  constructor(database: SqliteDatabase.Database, options: GroupCommitOptions = {}) {
    this.#db = database;
    this.#reader = options.reader;
    this.#statements = new StatementCache(database);
    this.#readerStatements = options.reader && new StatementCache(options.reader);
    this.#walSync = options.walSync;
  }

  async init(): Promise<void> {}

  /** The lock is taken by the lease's first statement that needs the writer, not here. */
  async acquireConnection(): Promise<DatabaseConnection> {
    return new Lease(this);
  }

  async beginTransaction(connection: DatabaseConnection, _settings: TransactionSettings): Promise<void> {
    const lease = connection as Lease;
    await this.#hold(lease);
    this.#ensureOpen();
    this.#run(`savepoint ${UNIT}`, []);
    lease.unit = 'open';
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (lease.unit !== 'open') throw new Error('the transaction was rolled back by the database');
    this.#run(`release ${UNIT}`, []);
    lease.unit = 'none';
    await this.#releaseAndAwaitCommit(lease);
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    // Only a unit still open on this lease is undone: after a failed COMMIT (or an error
    // that ended the physical transaction) there is nothing of it left to undo.
    if (lease.unit !== 'open') return;
    lease.unit = 'none';
    this.#run(`rollback to ${UNIT}`, []);
    this.#run(`release ${UNIT}`, []);
  }

  async savepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`savepoint ${quote(name)}`));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`rollback to ${quote(name)}`));
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw(`release ${quote(name)}`));
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    const lease = connection as Lease;
    if (!lease.held) return;
    lease.held = false;
    this.#unlock();
  }

  async destroy(): Promise<void> {
    await this.#lock();
    try {
      this.#commit();
      await this.#durable();
    } finally {
      await this.#walSync?.close();
      this.#reader?.close();
      this.#db.close();
    }
  }

  async executeQuery<R>(lease: Lease, query: CompiledQuery): Promise<QueryResult<R>> {
    if (lease.unit === 'broken') throw new Error('the transaction was rolled back by the database');
    if (lease.unit === 'open') return this.#runGuarded(lease, query) as QueryResult<R>;
    // Outside a transaction: a read goes to the reader, which sees only what is committed.
    // Without one, a write joins the physical transaction and a read runs in it if one is
    // open (and then waits for its commit), else on its own.
    const writes = !this.#statements.get(query.sql).readonly;
    if (!writes && this.#reader && !lease.held) {
      const result = this.#read(query) as QueryResult<R>;
      await this.#durable();
      return result;
    }
    await this.#hold(lease);
    if (writes) this.#ensureOpen();
    const result = this.#runGuarded(lease, query) as QueryResult<R>;
    if (writes) this.#dirty = true;
    if (this.#dirty) await this.#releaseAndAwaitCommit(lease);
    return result;
  }

  // -------------------------------------------------------------------------------------

  /** Takes the lock again for a lease that let it go early (several statements on one connection). */
  async #hold(lease: Lease): Promise<void> {
    if (lease.held) return;
    await this.#lock();
    lease.held = true;
  }

  #run(sql: string, parameters: readonly unknown[]): QueryResult<unknown> {
    const statement = this.#statements.get(sql);
    if (statement.reader) return { rows: statement.all(parameters) };
    const { changes, lastInsertRowid } = statement.run(parameters);
    return { numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] };
  }

  #read(query: CompiledQuery): QueryResult<unknown> {
    const statement = this.#readerStatements!.get(query.sql);
    this.stats.readerReads++;
    return { rows: statement.reader ? statement.all(query.parameters as unknown[]) : [] };
  }

  #runGuarded(lease: Lease, query: CompiledQuery): QueryResult<unknown> {
    try {
      return this.#run(query.sql, query.parameters);
    } catch (error) {
      // Most errors (a constraint) undo only the statement; some (I/O, a full disk) end
      // the whole transaction, and with it every unit it held.
      if (this.#open && !this.#db.inTransaction) {
        if (lease.unit === 'open') lease.unit = 'broken';
        this.#fail(error);
      }
      throw error;
    }
  }

  #ensureOpen(): void {
    if (this.#open) return;
    this.#run('begin immediate', []);
    this.#open = true;
  }

  /** Lets the next unit run, and resolves once the physical transaction is committed. */
  async #releaseAndAwaitCommit(lease: Lease): Promise<void> {
    if (!this.#open) return;
    const committed = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    if (!this.#flushScheduled) {
      this.#flushScheduled = true;
      setImmediate(() => void this.#flush());
    }
    if (lease.held) {
      lease.held = false;
      this.#unlock();
    }
    await committed;
  }

  async #flush(): Promise<void> {
    await this.#lock();
    this.#flushScheduled = false;
    try {
      this.#commit();
    } finally {
      this.#unlock();
    }
  }

  #commit(): void {
    if (!this.#open) return;
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#open = false;
    this.#dirty = false;
    try {
      this.#run('commit', []);
    } catch (error) {
      if (this.#db.inTransaction) this.#run('rollback', []);
      for (const w of waiters) w.reject(error);
      return;
    }
    this.stats.commits++;
    this.#committed++;
    if (!this.#walSync) {
      this.#synced = this.#committed;
      for (const w of waiters) w.resolve();
      return;
    }
    for (const w of waiters) this.#durableWaiters.push({ commit: this.#committed, resolve: w.resolve, reject: w.reject });
    this.#startSync();
  }

  /** Resolves once every commit made so far is durable (at once without walSync). */
  #durable(): Promise<void> {
    if (this.#synced >= this.#committed) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.#durableWaiters.push({ commit: this.#committed, resolve, reject });
      this.#startSync();
    });
  }

  /** One WAL sync at a time, covering every commit made before it began. */
  #startSync(): void {
    if (this.#syncing || this.#durableWaiters.length === 0) return;
    this.#syncing = true;
    const covers = this.#committed;
    const settle = (error?: unknown) => {
      if (error === undefined) this.#synced = Math.max(this.#synced, covers);
      const waiting = this.#durableWaiters;
      this.#durableWaiters = [];
      for (const w of waiting) {
        if (w.commit > covers) this.#durableWaiters.push(w);
        else if (error === undefined) w.resolve();
        else w.reject(error);
      }
      this.#syncing = false;
      this.#startSync();
    };
    this.stats.walSyncs++;
    this.#walSync!.sync().then(() => settle(), (error: unknown) => settle(error ?? new Error('WAL sync failed')));
  }

  /** The physical transaction ended on its own (SQLite rolled it back): refuse its units. */
  #fail(error: unknown): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    this.#open = false;
    this.#dirty = false;
    for (const w of waiters) w.reject(error);
  }

  #lock(): Promise<void> {
    if (!this.#locked) {
      this.#locked = true;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#queue.push(resolve));
  }

  #unlock(): void {
    const next = this.#queue.shift();
    if (next) next();
    else this.#locked = false;
  }
}

/** A connection's prepared statements by SQL text (a bounded set: dropped whole past 1,000). */
class StatementCache {
  readonly #db: SqliteDatabase.Database;
  readonly #statements = new Map<string, SqliteDatabase.Statement>();

  constructor(db: SqliteDatabase.Database) {
    this.#db = db;
  }

  get(sql: string): SqliteDatabase.Statement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= 1_000) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** One acquisition of the connection. A unit lets go of the lock before waiting for its commit. */
class Lease implements DatabaseConnection {
  readonly #driver: GroupCommitSqliteDriver;
  /** It holds the writer's lock. */
  held = false;
  /** The logical transaction (savepoint) on this lease; `broken` when SQLite ended it. */
  unit: 'none' | 'open' | 'broken' = 'none';

  constructor(driver: GroupCommitSqliteDriver) {
    this.#driver = driver;
  }

  executeQuery<R>(query: CompiledQuery): Promise<QueryResult<R>> {
    return this.#driver.executeQuery<R>(this, query);
  }

  // eslint-disable-next-line require-yield
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error('streaming is not supported on this connection');
  }
}
