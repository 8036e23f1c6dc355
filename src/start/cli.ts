import cluster from 'node:cluster';
import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { ConfigError, loadConfig } from '../config.js';
import { MerchantInputError } from '../gateway/create-merchant.js';
import { OrderLookupError } from '../gateway/find-order.js';
import { PortalInputError } from '../gateway/portal/portal-input-error.js';
import { ProviderSettingsError } from '../channels/provider-module.js';
import { RateInputError } from '../gateway/fx-rates.js';
import { openStore } from '../store/store.js';
import { addAuditCommands } from './audit-command.js';
import { addCallbacksCommands } from './callbacks-command.js';
import { CliError } from './cli-runtime.js';
import { loadEnvFile } from './env-file.js';
import { addMerchantCommands } from './merchant-command.js';
import { addOrdersCommands } from './orders-command.js';
import { addPortalCommands } from './portal-command.js';
import { addWalletCommands } from './wallet-command.js';
import { addProviderCommands } from './provider-command.js';
import { addRatesCommands } from './rates-command.js';
import { addSecretCommands } from './secret-command.js';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

/** Exit codes: 0 done, 1 refused or failed (a one-line reason on stderr), 2 a command line that does not parse. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** The command-line program; each command's action does its work and may throw (see main). */
export function buildProgram(): Command {
  const program = new Command('latipay')
    .description(
      'A self-hostable payment gateway that speaks the Latipay 2.0 API.\nConfiguration comes from the environment, completed by ./.env or the file ENV_FILE names: see docs/configuration.md.',
    )
    .version(VERSION, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ outputError: (text, write) => write(`latipay: ${text}`) })
    .exitOverride();

  program
    .command('serve')
    .description('run the gateway: the HTTP API and, unless --no-worker, callback delivery')
    .option('--no-worker', 'do not deliver callbacks from this process')
    .option('--processes <n>', 'N processes share the port (PostgreSQL only; also PROCESSES)')
    .action(async (options: { worker: boolean; processes?: string }) => {
      // --processes N is PROCESSES=N, checked by the same rule.
      const config = loadConfig(options.processes === undefined ? process.env : { ...process.env, PROCESSES: options.processes });
      const serveOptions = { api: true, worker: options.worker };
      // Loaded on demand: the whole HTTP app need not load for a quick command such as `rates set`.
      // A process that serveProcesses() forked (cluster.isWorker) serves.
      if (config.processes > 1 && !cluster.isWorker) await (await import('./processes.js')).serveProcesses(config, serveOptions);
      else await (await import('./serve.js')).serve(serveOptions, config);
    });

  program
    .command('worker')
    .description('deliver callbacks and expire orders only (no HTTP API)')
    .action(async () => {
      await (await import('./serve.js')).serve({ api: false, worker: true }, loadConfig());
    });

  program
    .command('migrate')
    .description('bring the database up to date and exit')
    .action(async () => {
      const store = await openStore(loadConfig().databaseUrl);
      await store.close();
      process.stdout.write(`database is up to date (${store.kind})\n`);
    });

  addMerchantCommands(program);
  addRatesCommands(program);

  addOrdersCommands(program);
  addCallbacksCommands(program);
  addWalletCommands(program);

  addProviderCommands(program);
  addSecretCommands(program);
  addAuditCommands(program);
  addPortalCommands(program);
  return program;
}

/**
 * Runs the command line. Resolves with the exit code, or with undefined for a command that
 * keeps running (serve, worker) and exits on its own.
 */
export async function main(argv: string[]): Promise<number | undefined> {
  // The one place the environment is completed: every command's loadConfig sees the file's values.
  try {
    loadEnvFile();
  } catch (error) {
    process.stderr.write(`latipay: ${describeError(error)}\n`);
    return EXIT.failed;
  }
  const program = buildProgram();
  if (argv.length === 0) {
    process.stdout.write(program.helpInformation());
    return EXIT.usage;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here too, with code 0; commander printed what it had to.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    process.stderr.write(`latipay: ${describeError(error)}\n`);
    return EXIT.failed;
  }
  const name = argv[0];
  return name === 'serve' || name === 'worker' ? undefined : EXIT.ok;
}

/** One line an operator can act on; a stack trace only with LOG_LEVEL=debug or trace. */
function describeError(error: unknown): string {
  if (
    error instanceof ConfigError ||
    error instanceof MerchantInputError ||
    error instanceof RateInputError ||
    error instanceof OrderLookupError ||
    error instanceof ProviderSettingsError ||
    error instanceof PortalInputError ||
    error instanceof CliError
  ) {
    return error.message;
  }
  const e = error as { code?: string; message?: string; stack?: string };
  const debug = ['debug', 'trace'].includes(process.env.LOG_LEVEL ?? '');
  if (debug && e?.stack) return e.stack;
  if (e?.code === 'ECONNREFUSED' || e?.code === 'ENOTFOUND' || e?.code === 'ETIMEDOUT' || e?.code === '28P01' || e?.code === '3D000') {
    return `cannot reach the database (DATABASE_URL): ${e.message ?? e.code}`;
  }
  if (e?.code === 'EADDRINUSE') return `the port is taken (PORT): ${e.message}`;
  return `${e?.message ?? String(error)} (set LOG_LEVEL=debug for details)`;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== undefined) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`latipay: ${describeError(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
