import type { SecretBox } from '../domain/secret-box.js';
import { createMerchant, type CreatedMerchant } from '../gateway/create-merchant.js';
import { countOrganisations } from '../store/merchants.js';
import type { Store } from '../store/store.js';

/**
 * On the first start of a sandbox gateway (no organisation yet), creates a ready sandbox
 * merchant: an organisation, a user and an NZD test wallet with alipay and wechat.
 */
export async function ensureSandboxMerchant(store: Store, secrets: SecretBox, now: number): Promise<CreatedMerchant | undefined> {
  if ((await countOrganisations(store.db)) > 0) return undefined;
  return createMerchant(store.db, secrets, { name: 'Sandbox Merchant', currency: 'NZD', methods: ['alipay', 'wechat'], test: true }, now, {
    actor: 'gateway',
    source: 'start-up',
  });
}
