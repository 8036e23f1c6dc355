import { Kysely } from 'kysely';
import { createDialectParts, type DialectKind, type DialectOptions, type DialectParts } from './dialect/index.js';
import { migrateToLatest } from './migrate.js';
import type { Database } from './schema.js';

export type Db = Kysely<Database>;

export interface Store {
  readonly db: Db;
  readonly kind: DialectKind;
  /**
   * Whether a statement costs a round trip to a server (PostgreSQL), so that work arriving
   * together is worth doing in one statement; on SQLite a statement runs in-process in
   * microseconds and group commit already shares the commits.
   */
  readonly sharesRoundTrips: boolean;
  readonly parts: DialectParts;
  close(): Promise<void>;
}

/** Opens the database named by `databaseUrl` and, unless told not to, brings it up to date. */
export async function openStore(databaseUrl: string, options: DialectOptions & { migrate?: boolean } = {}): Promise<Store> {
  const parts = createDialectParts(databaseUrl, options);
  const db = new Kysely<Database>({ dialect: parts.dialect });
  if (options.migrate !== false) {
    try {
      await migrateToLatest(db, parts);
    } catch (error) {
      await db.destroy();
      throw error;
    }
  }
  let closed = false;
  return {
    db,
    kind: parts.kind,
    sharesRoundTrips: parts.kind === 'postgres',
    parts,
    async close() {
      if (closed) return;
      closed = true;
      await db.destroy();
    },
  };
}

/** A row could not be inserted because one of its unique keys exists already. */
export class UniqueViolation extends Error {
  readonly code = 'UNIQUE_VIOLATION';
  constructor(table: string) {
    super(`duplicate key in ${table}`);
    this.name = 'UniqueViolation';
  }
}

/** True when the error is a unique-key violation, on either database. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string } | undefined;
  return error instanceof UniqueViolation || e?.code === '23505' || e?.code === 'SQLITE_CONSTRAINT_UNIQUE' || e?.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
