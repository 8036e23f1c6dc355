import cluster from 'node:cluster';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../config.js';
import { SecretBox } from '../domain/secret-box.js';
import { createMerchant, MerchantInputError } from '../gateway/create-merchant.js';
import { openStore } from '../store/store.js';
import { callbacksCommand } from './callbacks-command.js';
import { ratesCommand } from './rates-command.js';
import { loadSecretKey } from './secret-key.js';

const USAGE = `Usage: latipay <command> [options]

Commands:
  serve [--no-worker] [--processes N]
                          run the gateway (HTTP API and, unless --no-worker, callback delivery);
                          --processes N (or PROCESSES): N processes share the port (PostgreSQL only)
  worker                  run callback delivery only
  migrate                 bring the database up to date and exit
  merchant create --name N --currency NZD --methods alipay,wechat [--limit 5000] [--json]
                          create an organisation, user and wallet; prints the api_key
  rates set NZD CNY 4.6449 [--json]
                          set an FX rate (new orders use it within 2 s; existing orders keep theirs)
  rates list [NZD] [--json]
                          print the stored FX rates
  callbacks show ORDER_ID [--json]
                          an order's callbacks and every delivery attempt
  callbacks resend ORDER_ID
                          deliver an order's callbacks again now

Configuration comes from the environment (see README): PORT, HOST, PUBLIC_URL,
DATABASE_URL, SECRET_KEY, SANDBOX, NOTIFY_RETRY_SECONDS, LONG_POLL_SECONDS, LOG_LEVEL, …
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  switch (command) {
    case 'serve': {
      const { values } = parseArgs({
        args: rest,
        options: { 'no-worker': { type: 'boolean', default: false }, processes: { type: 'string' } },
      });
      // --processes N is PROCESSES=N, checked by the same rule.
      const config = loadConfig(values.processes === undefined ? process.env : { ...process.env, PROCESSES: values.processes });
      const options = { api: true, worker: !values['no-worker'] };
      // Loaded on demand: the whole HTTP app need not load for a quick command such as `rates set`.
      // A process that serveProcesses() forked (cluster.isWorker) serves.
      if (config.processes > 1 && !cluster.isWorker) await (await import('./processes.js')).serveProcesses(config, options);
      else await (await import('./serve.js')).serve(options);
      return -1;
    }
    case 'worker':
      parseArgs({ args: rest, options: {} });
      await (await import('./serve.js')).serve({ api: false, worker: true });
      return -1;
    case 'migrate': {
      parseArgs({ args: rest, options: {} });
      const config = loadConfig();
      const store = await openStore(config.databaseUrl);
      await store.close();
      process.stdout.write(`database is up to date (${store.kind})\n`);
      return 0;
    }
    case 'merchant':
      return merchantCommand(rest);
    case 'callbacks':
      return callbacksCommand(rest);
    case 'rates':
      return ratesCommand(rest);
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      return command === undefined ? 1 : 0;
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
      return 1;
  }
}

async function merchantCommand(args: string[]): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'create') {
    process.stderr.write(`unknown merchant command ${JSON.stringify(sub ?? '')}; try: latipay merchant create --help\n`);
    return 1;
  }
  const { values } = parseArgs({
    args: rest,
    options: {
      name: { type: 'string' },
      currency: { type: 'string', default: 'NZD' },
      methods: { type: 'string', default: 'alipay,wechat' },
      limit: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  if (!values.name) throw new MerchantInputError('--name is required');
  const config = loadConfig();
  const store = await openStore(config.databaseUrl);
  try {
    const secrets = new SecretBox(loadSecretKey(config).key);
    const created = await createMerchant(
      store.db,
      secrets,
      { name: values.name, currency: values.currency ?? 'NZD', methods: (values.methods ?? '').split(','), limit: values.limit },
      Date.now(),
    );
    if (values.json) process.stdout.write(JSON.stringify(created) + '\n');
    else {
      process.stdout.write(
        `organisation_id: ${created.organisation_id}\nuser_id:         ${created.user_id}\nwallet_id:       ${created.wallet_id}\napi_key:         ${created.api_key}\n`,
      );
    }
    return 0;
  } finally {
    await store.close();
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof ConfigError || error instanceof MerchantInputError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`latipay: ${(error as Error).message}\n`);
    } else {
      process.stderr.write(`latipay: ${(error as Error)?.stack ?? String(error)}\n`);
    }
    process.exitCode = 1;
  },
);
