import { hostname, userInfo } from 'node:os';
import type { Config } from '../config.js';
import type { SecretBox } from '../domain/secret-box.js';
import type { Actor } from '../gateway/audit.js';
import { openStore, type Store } from '../store/store.js';
import type { GatewayContext } from '../gateway/context.js';
import { createGatewayContext } from '../gateway/create-context.js';
import { createOrderEvents } from '../notify/order-events.js';
import { createLogger } from './logger.js';
import { openSecretBox, verifySecretKey } from './secret-key.js';

/** A command's refusal that is the operator's to fix: printed as one line, exit code 1. */
export class CliError extends Error {}

/**
 * What a one-shot command works with: the database (migrated) and the secret box, checked
 * against the key the database was sealed with, so that no command seals a secret with a
 * key the gateways do not have.
 */
export async function withCliStore<T>(config: Config, run: (store: Store, secrets: SecretBox) => Promise<T>): Promise<T> {
  const store = await openStore(config.databaseUrl);
  try {
    const { secrets } = openSecretBox(config);
    await verifySecretKey(store, secrets, Date.now());
    return await run(store, secrets);
  } finally {
    await store.close();
  }
}

/**
 * A command that acts like the gateway (settles an order): the whole gateway context, its
 * changes announced to running gateways (on PostgreSQL, their long-polls wake).
 */
export async function withCliContext<T>(config: Config, run: (ctx: GatewayContext) => Promise<T>): Promise<T> {
  return withCliStore(config, async (store, secrets) => {
    const logger = createLogger('warn');
    const events = await createOrderEvents(store, config.databaseUrl, logger);
    const ctx = createGatewayContext({ config, store, secrets, logger, events });
    try {
      return await run(ctx);
    } finally {
      await ctx.close();
      await events.close();
    }
  });
}

/** The operator running a command, for the audit log: `cli:<os user>@<host>`. */
export function cliActor(): Actor {
  let user: string;
  try {
    user = userInfo().username;
  } catch {
    // A container user without a passwd entry.
    user = `uid${process.getuid?.() ?? '?'}`;
  }
  return { actor: `cli:${user}@${hostname()}`, source: 'cli' };
}

/** Writes `value` as one JSON line, or the text lines `text` gives. */
export function printResult<T>(json: boolean | undefined, value: T, text: (value: T) => string): void {
  process.stdout.write(json ? JSON.stringify(value) + '\n' : text(value));
}

/**
 * A point in time given on the command line: ISO 8601 (`2026-11-30`, `2026-11-30T08:00:00Z`)
 * or an age (`90m`, `24h`, `7d`) before `now`.
 */
export function parseSince(text: string, now: number): number {
  const age = /^(\d+)\s*([mhd])$/.exec(text.trim());
  if (age) return now - Number(age[1]) * { m: 60_000, h: 3_600_000, d: 86_400_000 }[age[2] as 'm' | 'h' | 'd'];
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new CliError(`--since must be a date (2026-11-30), a time (2026-11-30T08:00:00Z) or an age (24h, 7d), got ${JSON.stringify(text)}`);
  return at;
}
