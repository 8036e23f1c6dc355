import pg from 'pg';
import { PostgresDialect, sql, type DatabaseIntrospector, type Kysely, type PostgresPool, type PostgresPoolClient, type TableMetadata } from 'kysely';
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
    dialect: new SchemaScopedPostgresDialect({ pool: withNamedStatements(pool) }),
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

/**
 * kysely's PostgreSQL introspector reads every table of every schema, with a function call
 * per column; a schema dropped or altered meanwhile (another gateway's, another test's)
 * makes that call fail, and with it a migration. The migrator only asks which tables and
 * schemas exist: this one answers for the connection's own schema, from information_schema.
 */
class SchemaScopedPostgresDialect extends PostgresDialect {
  override createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new SchemaScopedIntrospector(db);
  }
}

class SchemaScopedIntrospector implements DatabaseIntrospector {
  readonly #db: Kysely<any>;

  constructor(db: Kysely<any>) {
    this.#db = db;
  }

  async getSchemas() {
    const { rows } = await sql<{ name: string }>`select schema_name as name from information_schema.schemata`.execute(this.#db);
    return rows;
  }

  async getTables(): Promise<TableMetadata[]> {
    const { rows } = await sql<{ name: string; schema: string; type: string }>`
      select table_name as name, table_schema as schema, table_type as type
      from information_schema.tables where table_schema = current_schema()`.execute(this.#db);
    return rows.map((row) => ({ name: row.name, schema: row.schema, isView: row.type === 'VIEW', columns: [] }));
  }

  async getMetadata() {
    return { tables: await this.getTables() };
  }
}
