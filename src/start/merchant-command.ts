import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { createMerchant } from '../gateway/create-merchant.js';
import { describeMerchant, listMerchants, type MerchantSummary } from '../gateway/describe-merchants.js';
import { setLegacySignatures, setUserActive } from '../gateway/merchant-settings.js';
import { rotateApiKey } from '../gateway/rotate-api-key.js';
import { cliActor, CliError, printResult, withCliStore } from './cli-runtime.js';

/**
 * `latipay merchant …`: create merchants and manage their users' keys. Keys are printed
 * only when they are made (create, rotate-key), to the operator's terminal; never shown after.
 */
export function addMerchantCommands(program: Command): void {
  const merchant = program.command('merchant').description('create merchants and manage their users and keys');

  merchant
    .command('create')
    .description('create an organisation with one API user and one wallet; prints the api_key once')
    .requiredOption('--name <name>', 'the organisation name')
    .option('--currency <code>', 'the wallet currency (ISO 4217)', 'NZD')
    .option('--methods <list>', 'payment methods the wallet accepts, comma-separated', 'alipay,wechat')
    .option('--limit <amount>', 'single-payment limit, e.g. 5000.00')
    .option('--test', 'a test wallet: served by the sandbox even in production, never real money', false)
    .option('--json', 'print JSON', false)
    .action(async (options: { name: string; currency: string; methods: string; limit?: string; test: boolean; json: boolean }) => {
      const created = await withCliStore(loadConfig(), (store, secrets) =>
        createMerchant(
          store.db,
          secrets,
          { name: options.name, currency: options.currency, methods: options.methods.split(','), limit: options.limit, test: options.test },
          Date.now(),
          cliActor(),
        ),
      );
      printResult(
        options.json,
        created,
        (c) =>
          `organisation_id: ${c.organisation_id}\nuser_id:         ${c.user_id}\nwallet_id:       ${c.wallet_id}${c.test ? ' (test)' : ''}\napi_key:         ${c.api_key}\n`,
      );
    });

  merchant
    .command('list')
    .description('every merchant user, its status and wallets (never a key)')
    .option('--json', 'print JSON', false)
    .action(async (options: { json: boolean }) => {
      const merchants = await withCliStore(loadConfig(), (store) => listMerchants(store.db, Date.now()));
      printResult(options.json, merchants, (list) => (list.length === 0 ? 'no merchants\n' : list.map(describeLine).join('')));
    });

  merchant
    .command('show')
    .description('one merchant user: wallets, methods, status, and the signature forms it used in the last 30 days')
    .argument('<user_id>')
    .option('--json', 'print JSON', false)
    .action(async (userId: string, options: { json: boolean }) => {
      const detail = await withCliStore(loadConfig(), (store) => describeMerchant(store.db, userId, Date.now()));
      printResult(options.json, detail, (d) => {
        const forms = d.signature_forms.length === 0 ? '  (no signed requests in the last 30 days)\n' : d.signature_forms.map((f) => `  ${f.form}: ${f.count} (last ${f.last_day})\n`).join('');
        return `${describeLine(d)}legacy signatures: ${d.legacy_signatures}\n${d.old_key_valid_until ? `old key accepted until ${d.old_key_valid_until}\n` : ''}signature forms, last 30 days:\n${forms}`;
      });
    });

  for (const [name, active] of [['disable', false], ['enable', true]] as const) {
    merchant
      .command(name)
      .description(active ? 'let a disabled user make requests again' : "refuse a user's requests (205) from now on")
      .argument('<user_id>')
      .action(async (userId: string) => {
        await withCliStore(loadConfig(), (store) => setUserActive(store.db, userId, active, Date.now(), cliActor()));
        process.stdout.write(`${userId} ${active ? 'enabled' : 'disabled'} (running gateways see it within 5 s)\n`);
      });
  }

  merchant
    .command('rotate-key')
    .description("give a user a new api_key (printed once); the old key keeps working for the grace period")
    .argument('<user_id>')
    .option('--grace-seconds <n>', 'how long the old key stays valid (0: at once, e.g. when it leaked)', '86400')
    .option('--json', 'print JSON', false)
    .action(async (userId: string, options: { graceSeconds: string; json: boolean }) => {
      const grace = /^\d+$/.test(options.graceSeconds) ? Number(options.graceSeconds) : NaN;
      const rotated = await withCliStore(loadConfig(), (store, secrets) => rotateApiKey(store.db, secrets, userId, grace, Date.now(), cliActor()));
      printResult(
        options.json,
        rotated,
        (r) => `user_id:            ${r.user_id}\napi_key:            ${r.api_key}\nold key valid until: ${r.old_key_valid_until ?? 'no longer valid'}\n`,
      );
    });

  merchant
    .command('set')
    .description("change a user's settings")
    .argument('<user_id>')
    .requiredOption('--legacy-signatures <on|off>', 'accept the legacy concatenated signatures (spec §2.2.4–6)')
    .action(async (userId: string, options: { legacySignatures: string }) => {
      const value = options.legacySignatures.toLowerCase();
      if (value !== 'on' && value !== 'off') throw new CliError(`--legacy-signatures must be on or off, got ${JSON.stringify(options.legacySignatures)}`);
      await withCliStore(loadConfig(), (store) => setLegacySignatures(store.db, userId, value === 'on', Date.now(), cliActor()));
      process.stdout.write(`${userId}: legacy signatures ${value}\n`);
    });
}

function describeLine(m: MerchantSummary): string {
  const wallets = m.wallets.map((w) => `    ${w.wallet_id} ${w.currency} ${w.methods.join(',')}${w.test ? ' (test)' : ''}${w.single_limit ? ` limit ${w.single_limit}` : ''}\n`).join('');
  return `${m.user_id} ${m.status} — ${m.organisation_name} (organisation ${m.organisation_id})\n${wallets}`;
}
