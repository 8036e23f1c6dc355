import type { Logger } from 'pino';
import { isPaymentMethod, type PaymentMethod } from '../domain/payment-methods.js';
import type { SecretBox } from '../domain/secret-box.js';
import { TtlCache } from '../gateway/ttl-cache.js';
import { findProviderAccount, listProviderAccountsOfWallet, type ProviderAccountRecord } from '../store/provider-accounts.js';
import type { Db } from '../store/store.js';
import type { PaymentProvider } from './provider.js';
import type { SandboxProvider } from './sandbox/sandbox-provider.js';

/** A provider account with its secrets opened, as an adapter is built from it. */
export interface OpenedAccount {
  readonly id: string;
  readonly walletId: string;
  readonly provider: string;
  readonly methods: readonly PaymentMethod[];
  /** What is not secret: merchant ids, serials, base URL, public keys. */
  readonly config: Readonly<Record<string, unknown>>;
  /** Private keys and API keys: only ever handed to the adapter. */
  readonly secrets: Readonly<Record<string, string>>;
  /** Where this account's notifications arrive: PUBLIC_URL/channels/<provider>/notify/<account id>. */
  readonly notifyUrl: string;
}

/** Builds the adapter of one provider account. */
export type ProviderFactory = (account: OpenedAccount) => PaymentProvider;

/** The provider that serves an order, and which account of it. */
export interface Route {
  readonly provider: PaymentProvider;
  readonly accountId: string;
}

export const SANDBOX_ACCOUNT = 'sandbox';

export interface ProviderRegistryDeps {
  db: Db;
  secrets: SecretBox;
  publicUrl: string;
  /** Adapters by provider name (`wechatpay`, `antom`). */
  factories: ReadonlyMap<string, ProviderFactory>;
  /** The sandbox, when SANDBOX is on. */
  sandbox?: SandboxProvider;
  /** Whether the sandbox may serve this wallet (in production: test wallets only). */
  sandboxMayServe: (wallet: { readonly test: number }) => boolean;
  log: Logger;
}

/**
 * Which provider serves a wallet's payment method: the account configured for the wallet
 * (`latipay provider set`), else the sandbox when it is on, may serve the wallet, and
 * nothing else is configured for the method; else none (the create answers 302).
 * A wallet's accounts are read through a cache of a few seconds, so the hot path does not
 * read them on every create; an adapter is built once per account and rebuilt when the
 * account changes.
 */
export class ProviderRegistry {
  readonly #deps: ProviderRegistryDeps;
  readonly #accounts = new TtlCache<ProviderAccountRecord[]>(5_000);
  readonly #adapters = new Map<string, { updatedAt: number; provider: PaymentProvider }>();

  constructor(deps: ProviderRegistryDeps) {
    this.#deps = deps;
  }

  get sandbox(): SandboxProvider | undefined {
    return this.#deps.sandbox;
  }

  /** The names of the providers this gateway can build adapters for, and the sandbox when on. */
  get providerNames(): string[] {
    return [...(this.#deps.sandbox ? ['sandbox'] : []), ...this.#deps.factories.keys()];
  }

  async route(wallet: { readonly id: string; readonly test: number }, method: string): Promise<Route | undefined> {
    const accounts = await this.#accountsOf(wallet.id);
    const account = accounts.find((a) => a.methods.split(',').includes(method) && this.#deps.factories.has(a.provider));
    if (account) return { provider: this.#adapter(account), accountId: account.id };
    const sandbox = this.#deps.sandbox;
    if (sandbox && (sandbox.capabilities.methods as readonly string[]).includes(method) && this.#deps.sandboxMayServe(wallet)) {
      return { provider: sandbox, accountId: SANDBOX_ACCOUNT };
    }
    return undefined;
  }

  /** The methods of `methods` some provider serves for the wallet (`/v2/detail` lists only these). */
  async servableMethods(wallet: { readonly id: string; readonly test: number }, methods: readonly string[]): Promise<PaymentMethod[]> {
    const served: PaymentMethod[] = [];
    for (const method of methods) if (isPaymentMethod(method) && (await this.route(wallet, method))) served.push(method);
    return served;
  }

  /** The adapter of an account (an order's, an attempt's), or undefined when it is gone or its provider unknown here. */
  async byAccount(accountId: string): Promise<PaymentProvider | undefined> {
    if (accountId === SANDBOX_ACCOUNT) return this.#deps.sandbox;
    const account = await findProviderAccount(this.#deps.db, accountId);
    if (!account || !this.#deps.factories.has(account.provider)) return undefined;
    return this.#adapter(account);
  }

  /** Forgets a wallet's cached accounts (after `provider set` in this process). */
  forgetWallet(walletId: string): void {
    this.#accounts.delete(walletId);
  }

  #accountsOf(walletId: string): Promise<ProviderAccountRecord[]> {
    return this.#accounts.get(walletId, () => listProviderAccountsOfWallet(this.#deps.db, walletId));
  }

  #adapter(account: ProviderAccountRecord): PaymentProvider {
    const cached = this.#adapters.get(account.id);
    if (cached && cached.updatedAt === Number(account.updated_at)) return cached.provider;
    const factory = this.#deps.factories.get(account.provider) as ProviderFactory;
    const provider = factory(openAccount(account, this.#deps.secrets, this.#deps.publicUrl));
    this.#adapters.set(account.id, { updatedAt: Number(account.updated_at), provider });
    return provider;
  }
}

export function notifyUrlOf(publicUrl: string, provider: string, accountId: string): string {
  return `${publicUrl}/channels/${provider}/notify/${accountId}`;
}

function openAccount(account: ProviderAccountRecord, secrets: SecretBox, publicUrl: string): OpenedAccount {
  return {
    id: account.id,
    walletId: account.wallet_id,
    provider: account.provider,
    methods: account.methods.split(',').filter(isPaymentMethod),
    config: JSON.parse(account.config) as Record<string, unknown>,
    secrets: JSON.parse(secrets.open(account.secrets_sealed)) as Record<string, string>,
    notifyUrl: notifyUrlOf(publicUrl, account.provider, account.id),
  };
}
