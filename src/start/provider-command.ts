import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { loadConfig } from '../config.js';
import { ProviderSettingsError, type ProviderModule } from '../channels/provider-module.js';
import { findProviderModule, PROVIDER_MODULES } from '../channels/providers.js';
import { configureProvider, describeProviders, removeProvider, type ProviderAccountView } from '../gateway/configure-provider.js';
import { cliActor, CliError, printResult, withCliStore } from './cli-runtime.js';

/** A flag as commander names its value (`private-key-file` → `privateKeyFile`). */
const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * `latipay provider set|show|remove`: which provider account serves a wallet's methods,
 * with its credentials sealed. Secrets come from files, never from arguments (which other
 * users of the machine can read in the process list). `modules` are the providers this
 * gateway has adapters for.
 */
export function addProviderCommands(program: Command, modules: readonly ProviderModule[] = PROVIDER_MODULES): void {
  const provider = program.command('provider').description("a wallet's accounts with payment providers (WeChat Pay, Alipay through Antom)");
  const names = modules.map((m) => m.cliName).join('|') || '(none)';
  const known = modules.map((m) => m.cliName).join(', ') || '(none)';

  const set = provider
    .command('set')
    .description(`configure the provider that serves a wallet's methods (${names}); replaces an earlier one`)
    .argument('<wallet_id>')
    .argument('<provider>', names)
    .option('--json', 'print JSON', false);
  // Every provider's options on one command; each provider accepts only its own.
  const seen = new Set<string>();
  for (const module of modules) {
    for (const option of module.options) {
      if (seen.has(option.flag)) continue;
      seen.add(option.flag);
      const users = modules.filter((m) => m.options.some((o) => o.flag === option.flag)).map((m) => m.cliName);
      set.option(`--${option.flag} <${option.file ? 'file' : 'value'}>`, `(${users.join(', ')}) ${option.description}${option.required ? '' : ' (optional)'}`);
    }
  }
  set.action(async (walletId: string, name: string, options: Record<string, string | boolean | undefined>) => {
    const module = findProviderModule(name, modules);
    if (!module) throw new CliError(`unknown provider ${JSON.stringify(name)}; this gateway has: ${known}`);
    const settings: Record<string, string | undefined> = {};
    for (const [key, value] of Object.entries(options)) {
      if (key === 'json' || value === undefined) continue;
      const option = module.options.find((o) => camel(o.flag) === key);
      if (!option) throw new CliError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} is not a setting of ${module.cliName}`);
      settings[option.flag] = option.file ? readSettingFile(option.flag, String(value)) : String(value);
    }
    for (const option of module.options) if (option.required && settings[option.flag] === undefined) throw new CliError(`--${option.flag} is required for ${module.cliName}`);
    const config = loadConfig();
    const view = await withCliStore(config, (store, secrets) =>
      configureProvider(store.db, secrets, module, walletId, settings, config.publicUrl, Date.now(), cliActor()),
    );
    printResult(options.json === true, view, (v) => `${describeText(v)}running gateways use it within 5 s\n`);
  });

  provider
    .command('show')
    .description("a wallet's provider accounts: what is configured (fingerprints of keys, never a secret) and their notification URLs")
    .argument('<wallet_id>')
    .option('--json', 'print JSON', false)
    .action(async (walletId: string, options: { json: boolean }) => {
      const config = loadConfig();
      const views = await withCliStore(config, (store, secrets) => describeProviders(store.db, secrets, modules, walletId, config.publicUrl));
      printResult(options.json, views, (list) => (list.length === 0 ? `${walletId} has no provider account (the sandbox serves it where allowed)\n` : list.map(describeText).join('')));
    });

  provider
    .command('remove')
    .description("remove a wallet's account with a provider (its methods go back to the sandbox where allowed, or to none)")
    .argument('<wallet_id>')
    .argument('<provider>', names)
    .action(async (walletId: string, name: string) => {
      const module = findProviderModule(name, modules);
      if (!module) throw new CliError(`unknown provider ${JSON.stringify(name)}; this gateway has: ${known}`);
      await withCliStore(loadConfig(), (store) => removeProvider(store.db, module, walletId, Date.now(), cliActor()));
      process.stdout.write(`${walletId}: ${module.name} removed\n`);
    });
}

function readSettingFile(flag: string, path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (error) {
    throw new ProviderSettingsError(flag, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

function describeText(v: ProviderAccountView): string {
  const settings = Object.entries(v.settings).map(([k, value]) => `  ${k}: ${value}\n`).join('');
  return `${v.wallet_id}: ${v.provider} (account ${v.account_id}) serves ${v.methods.join(', ')}\n  notify_url: ${v.notify_url}\n${settings}`;
}
