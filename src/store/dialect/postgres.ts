import pg from 'pg';
import { PostgresDialect } from 'kysely';
import type { DialectParts } from './index.js';

/** node-postgres pool. int8 columns (our epoch-ms times and ids) come back as numbers. */
export function createPostgresParts(url: string, options: { poolSize: number; schema?: string }): DialectParts {
  const pool = new pg.Pool({
    connectionString: url,
    max: options.poolSize,
    types: {
      getTypeParser: ((oid: number, format?: string) =>
        oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format as 'text')) as typeof pg.types.getTypeParser,
    },
    ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
  });
  return {
    kind: 'postgres',
    dialect: new PostgresDialect({ pool }),
    types: { id: 'bigserial', bigint: 'bigint' },
    pool,
  };
}
