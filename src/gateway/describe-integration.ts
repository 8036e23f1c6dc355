import type { ProviderModule } from '../channels/provider-module.js';
import { SANDBOX_ACCOUNT } from '../channels/provider-registry.js';
import { PROVIDER_MODULES } from '../channels/providers.js';
import { isPaymentMethod, type PaymentMethod } from '../domain/payment-methods.js';
import { measureCallbackHealth, type CallbackHealth } from '../store/callback-health.js';
import type { WalletRecord } from '../store/merchants.js';
import { listOrganisationUsers, listOrganisationWallets, type OrganisationUser } from '../store/organisation-accounts.js';
import { describeProviders, type ProviderAccountView } from './configure-provider.js';
import type { GatewayContext } from './context.js';

/** Who serves one of a wallet's methods on this gateway now. */
export interface MethodRoute {
  method: string;
  /** `sandbox`, `wechatpay`, `antom`…; null: nothing serves it (a create with it answers 302). */
  provider: string | null;
  /** The provider account (`sandbox` for the sandbox); null with no provider. */
  account_id: string | null;
}

export interface WalletIntegration {
  wallet: WalletRecord;
  methods: MethodRoute[];
  /** Its provider accounts as `latipay provider show` describes them: ids, key fingerprints, never a secret. */
  accounts: ProviderAccountView[];
}

/** What the portal's Developers page shows of an organisation: never a key or a secret. */
export interface IntegrationOverview {
  /** The base URL requests go to (PUBLIC_URL). */
  base_url: string;
  users: OrganisationUser[];
  wallets: WalletIntegration[];
  /** The callbacks of the last `windowMs`, and every one still failing or given up. */
  callbacks: CallbackHealth;
  callbacks_since: number;
}

/** How far back "delivered" counts on the Developers page. */
export const CALLBACK_WINDOW_MS = 7 * 86_400_000;

/**
 * An organisation's integration parameters (its API users and wallets, the base URL), which
 * provider serves each wallet's methods, and how its callbacks are getting through.
 */
export async function describeIntegration(ctx: GatewayContext, organisationId: number, modules: readonly ProviderModule[] = PROVIDER_MODULES): Promise<IntegrationOverview> {
  const db = ctx.store.db;
  const [users, wallets] = await Promise.all([listOrganisationUsers(db, organisationId), listOrganisationWallets(db, organisationId)]);
  const integrations: WalletIntegration[] = [];
  for (const wallet of wallets) {
    const methods: MethodRoute[] = [];
    for (const method of wallet.methods.split(',').map((m) => m.trim()).filter(Boolean)) {
      const route = isPaymentMethod(method) ? await routeOf(ctx, wallet, method) : undefined;
      methods.push({
        method,
        provider: route ? (route.accountId === SANDBOX_ACCOUNT ? 'sandbox' : route.provider.name) : null,
        account_id: route?.accountId ?? null,
      });
    }
    const accounts = await describeProviders(db, ctx.secrets, modules, wallet.id, ctx.config.publicUrl);
    integrations.push({ wallet, methods, accounts });
  }
  const since = ctx.clock() - CALLBACK_WINDOW_MS;
  return { base_url: ctx.config.publicUrl, users, wallets: integrations, callbacks: await measureCallbackHealth(db, organisationId, since), callbacks_since: since };
}

/** The route of a method, or undefined when none serves it or its account's adapter cannot be built (then payments fail too). */
async function routeOf(ctx: GatewayContext, wallet: WalletRecord, method: PaymentMethod) {
  try {
    return await ctx.providers.route(wallet, method);
  } catch (error) {
    ctx.log.warn({ err: error, walletId: wallet.id, method }, 'a provider account of the wallet cannot be used');
    return undefined;
  }
}
