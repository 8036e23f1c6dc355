import { findAssignedWallet, findWallet, type WalletRecord } from '../store/merchants.js';
import type { GatewayContext } from './context.js';
import { cachePerDatabase } from './ttl-cache.js';

const walletCache = cachePerDatabase<WalletRecord | undefined>(5_000);

/** Outside production the sandbox may serve any wallet (merchants test with their own); in production only test wallets. */
export function sandboxMayServe(ctx: Pick<GatewayContext, 'config'>, wallet: Pick<WalletRecord, 'test'>): boolean {
  return ctx.config.mode !== 'production' || Number(wallet.test) === 1;
}

/** The wallet, remembered for a few seconds (for what every request of an order asks again: may the sandbox serve it?). */
export function findWalletCached(ctx: GatewayContext, walletId: string): Promise<WalletRecord | undefined> {
  return walletCache(ctx.store.db).get(walletId, () => findWallet(ctx.store.db, walletId));
}

/** The wallet when `userId` may use it (spec §3), remembered for a few seconds. */
export function findUsableWallet(ctx: GatewayContext, walletId: string, userId: string): Promise<WalletRecord | undefined> {
  return walletCache(ctx.store.db).get(`${walletId}\u0000${userId}`, () => findAssignedWallet(ctx.store.db, walletId, userId));
}
