import type { CreatedMerchant } from '../../src/gateway/create-merchant.js';
import type { OrderRecord } from '../../src/store/orders.js';
import type { Store } from '../../src/store/store.js';

let seeded = 0;

/**
 * Writes orders straight into the table (not through the API), for tests that need many,
 * or created at chosen times: each is a merchant's order with the given fields over
 * defaults (pending, 10.00 NZD, alipay). Answers the rows written.
 */
export async function seedOrders(store: Store, merchant: Pick<CreatedMerchant, 'user_id' | 'wallet_id' | 'organisation_id'>, rows: ReadonlyArray<Partial<OrderRecord>>): Promise<OrderRecord[]> {
  const records = rows.map((row): OrderRecord => {
    const n = ++seeded;
    const createdAt = row.created_at ?? Date.now();
    return {
      order_id: `77${String(n).padStart(17, '0')}`,
      user_id: merchant.user_id,
      wallet_id: merchant.wallet_id,
      organisation_id: merchant.organisation_id,
      merchant_reference: `seeded-${n}`,
      amount_minor: 1000,
      currency: 'NZD',
      payment_method: 'alipay',
      product_name: 'Flat white',
      return_url: 'https://merchant.example/return',
      callback_url: 'https://merchant.example/callback',
      backpage_url: null,
      ip: '122.122.122.1',
      host_type: '0',
      present_qr: '0',
      request_hash: 'seeded',
      status: 'pending',
      nonce: `seeded-nonce-${n}-${Math.random().toString(36).slice(2)}`,
      channel: 'sandbox',
      channel_trade_id: null,
      channel_qr_url: null,
      created_at: createdAt,
      expires_at: createdAt + 7_200_000,
      paid_at: null,
      updated_at: createdAt,
      currency_rate: null,
      amount_cny_minor: null,
      review_reason: null,
      provider_account_id: 'sandbox',
      ...row,
    };
  });
  for (let i = 0; i < records.length; i += 200) await store.db.insertInto('orders').values(records.slice(i, i + 200)).execute();
  return records;
}
