import { createHash, randomBytes } from 'node:crypto';
import type { ProviderModule } from '../channels/provider-module.js';
import { isPaymentMethod } from '../domain/payment-methods.js';
import type { SecretBox } from '../domain/secret-box.js';
import { findWallet } from '../store/merchants.js';
import { deleteProviderAccount, listProviderAccountsOfWallet, upsertProviderAccount } from '../store/provider-accounts.js';
import type { Db } from '../store/store.js';
import { recordAudit, type Actor } from './audit.js';
import { MerchantInputError } from './create-merchant.js';
import { notifyUrlOf } from '../channels/provider-registry.js';

export interface ProviderAccountView {
  account_id: string;
  wallet_id: string;
  provider: string;
  methods: string[];
  /** Where the provider must send notifications (to give it when registering the account there). */
  notify_url: string;
  /** What is configured: ids, base URL, key fingerprints; never a secret. */
  settings: Record<string, string>;
  updated_at: string;
}

/** A short, stable name for a secret that reveals nothing of it: the first 16 hex of its SHA-256. */
export function fingerprintOf(secret: string): string {
  return 'sha256:' + createHash('sha256').update(secret, 'utf8').digest('hex').slice(0, 16);
}

/**
 * Configures a wallet's account with a provider (`latipay provider set`): the settings are
 * checked by the provider's module, the secrets sealed with SECRET_KEY, and the account
 * replaces any earlier one of that provider for the wallet. The wallet's methods that the
 * provider serves are then served by it (running gateways see it within seconds). Recorded
 * in the audit log without the secrets.
 */
export async function configureProvider(
  db: Db,
  secrets: SecretBox,
  module: ProviderModule,
  walletId: string,
  settings: Readonly<Record<string, string | undefined>>,
  publicUrl: string,
  now: number,
  by: Actor,
): Promise<ProviderAccountView> {
  const wallet = await findWallet(db, walletId);
  if (!wallet) throw new MerchantInputError(`no wallet ${walletId}`);
  const served = module.methods.filter((m) => wallet.methods.split(',').includes(m));
  if (served.length === 0) throw new MerchantInputError(`${walletId} accepts none of ${module.methods.join(', ')}, which ${module.name} serves`);
  const { config, secrets: secretSettings } = module.parseSettings(settings);
  const existing = (await listProviderAccountsOfWallet(db, walletId)).find((a) => a.provider === module.name);
  const id = existing?.id ?? `pa_${randomBytes(8).toString('hex')}`;
  await db.transaction().execute(async (trx) => {
    await upsertProviderAccount(trx, {
      id,
      wallet_id: walletId,
      provider: module.name,
      methods: served.join(','),
      config: JSON.stringify(config),
      secrets_sealed: secrets.seal(JSON.stringify(secretSettings)),
      created_at: now,
      updated_at: now,
    });
    await recordAudit(trx, by, 'provider.set', walletId, { provider: module.name, account_id: id, methods: served, settings: module.describe(config, secretSettings) }, now);
  });
  return view(module, { id, wallet_id: walletId, methods: served.join(','), config, secrets: secretSettings, updated_at: now }, publicUrl);
}

/** A wallet's provider accounts as `provider show` prints them: never a secret. */
export async function describeProviders(
  db: Db,
  secrets: SecretBox,
  modules: readonly ProviderModule[],
  walletId: string,
  publicUrl: string,
): Promise<ProviderAccountView[]> {
  if (!(await findWallet(db, walletId))) throw new MerchantInputError(`no wallet ${walletId}`);
  const accounts = await listProviderAccountsOfWallet(db, walletId);
  return accounts.map((a) => {
    const module = modules.find((m) => m.name === a.provider);
    const config = JSON.parse(a.config) as Record<string, unknown>;
    const opened = JSON.parse(secrets.open(a.secrets_sealed)) as Record<string, string>;
    const described = module ? module : undefined;
    return described
      ? view(described, { id: a.id, wallet_id: a.wallet_id, methods: a.methods, config, secrets: opened, updated_at: Number(a.updated_at) }, publicUrl)
      : {
          account_id: a.id,
          wallet_id: a.wallet_id,
          provider: a.provider,
          methods: a.methods.split(',').filter(isPaymentMethod),
          notify_url: notifyUrlOf(publicUrl, a.provider, a.id),
          settings: { note: 'this gateway has no adapter for this provider' },
          updated_at: new Date(Number(a.updated_at)).toISOString(),
        };
  });
}

/** Removes a wallet's account with a provider; its methods go back to the sandbox (where allowed) or to none. */
export async function removeProvider(db: Db, module: ProviderModule, walletId: string, now: number, by: Actor): Promise<void> {
  await db.transaction().execute(async (trx) => {
    if (!(await deleteProviderAccount(trx, walletId, module.name))) throw new MerchantInputError(`${walletId} has no ${module.name} account`);
    await recordAudit(trx, by, 'provider.remove', walletId, { provider: module.name }, now);
  });
}

function view(
  module: ProviderModule,
  a: { id: string; wallet_id: string; methods: string; config: Record<string, unknown>; secrets: Record<string, string>; updated_at: number },
  publicUrl: string,
): ProviderAccountView {
  return {
    account_id: a.id,
    wallet_id: a.wallet_id,
    provider: module.name,
    methods: a.methods.split(',').filter(Boolean),
    notify_url: notifyUrlOf(publicUrl, module.name, a.id),
    settings: module.describe(a.config, a.secrets),
    updated_at: new Date(a.updated_at).toISOString(),
  };
}
