import type { Dialect } from 'kysely';
import type pg from 'pg';
import { createPostgresParts } from './postgres.js';
import { createSqliteParts } from './sqlite.js';

export type DialectKind = 'sqlite' | 'postgres';

/** What differs between the two databases; everything else is shared. */
export interface DialectParts {
  readonly kind: DialectKind;
  readonly dialect: Dialect;
  /** Column types used by migrations: an auto-increment id, and a 64-bit integer. */
  readonly types: { readonly id: 'integer' | 'bigserial'; readonly bigint: 'integer' | 'bigint' };
  readonly pool?: pg.Pool;
}

export interface DialectOptions {
  poolSize?: number;
  /** PostgreSQL only: the schema to use (tests give each run its own). */
  schema?: string;
}

/** `sqlite:PATH` (or `sqlite::memory:`) or `postgres://…`. */
export function createDialectParts(databaseUrl: string, options: DialectOptions = {}): DialectParts {
  if (databaseUrl.startsWith('sqlite:')) return createSqliteParts(databaseUrl.slice('sqlite:'.length));
  if (/^postgres(ql)?:\/\//.test(databaseUrl)) {
    return createPostgresParts(databaseUrl, { poolSize: options.poolSize ?? 10, schema: options.schema });
  }
  throw new Error(`unsupported DATABASE_URL ${databaseUrl.replace(/\/\/[^@]*@/, '//***@')}`);
}
