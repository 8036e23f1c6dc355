import pg from 'pg';
import { PostgresDialect, type PostgresPool, type PostgresPoolClient } from 'kysely';
import { preparedSqlTexts } from '../prepared.js';
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
    dialect: new PostgresDialect({ pool: withNamedStatements(pool) }),
    types: { id: 'bigserial', bigint: 'bigint' },
    pool,
  };
}

/**
 * The hot statements (those of PreparedQuery) run as named prepared statements: each
 * connection parses and plans one once, then only binds and executes it. Planning a
 * 128-row INSERT or a 128-pair lookup cost more than running it. Every other query runs
 * as before (unnamed), so no connection collects a statement per `in (...)` length.
 */
function withNamedStatements(pool: pg.Pool): PostgresPool {
  const names = new Map<string, string>();
  const nameOf = (text: string) => {
    let name = names.get(text);
    if (!name) names.set(text, (name = `latipay_${names.size + 1}`));
    return name;
  };
  const clients = new WeakMap<pg.PoolClient, PostgresPoolClient>();
  return {
    async connect() {
      const client = await pool.connect();
      let wrapped = clients.get(client);
      if (!wrapped) {
        wrapped = {
          query: ((text: unknown, values?: unknown[]) =>
            typeof text === 'string' && preparedSqlTexts.has(text)
              ? client.query({ name: nameOf(text), text, values })
              : client.query(text as string, values)) as unknown as PostgresPoolClient['query'],
          release: () => client.release(),
        };
        clients.set(client, wrapped);
      }
      return wrapped;
    },
    end: () => pool.end(),
  };
}
