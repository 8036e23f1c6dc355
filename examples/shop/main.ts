import { createServer } from 'node:http';
import { Latipay } from '../../sdk/src/index.js';
import { OrderStore } from './order-store.js';
import { createShop } from './shop.js';

/**
 * Starts the demo shop. `npm run demo` runs it next to a gateway; on its own:
 *
 *   LATIPAY_BASE_URL=http://localhost:8080 LATIPAY_USER_ID=U… LATIPAY_WALLET_ID=W… LATIPAY_API_KEY=… \
 *     node --import tsx examples/shop/main.ts
 *
 * SHOP_PORT (3000), SHOP_PUBLIC_URL (http://localhost:$SHOP_PORT), SHOP_CURRENCY (NZD) and
 * SHOP_ORDERS_FILE (a JSON file; orders are kept in memory only without it) are optional.
 */
function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`the demo shop needs ${name} (see examples/shop/main.ts)`);
    process.exit(1);
  }
  return value;
}

const port = Number(process.env.SHOP_PORT ?? 3000);
const publicUrl = process.env.SHOP_PUBLIC_URL ?? `http://localhost:${port}`;
const latipay = new Latipay({
  baseUrl: required('LATIPAY_BASE_URL'),
  userId: required('LATIPAY_USER_ID'),
  walletId: required('LATIPAY_WALLET_ID'),
  apiKey: required('LATIPAY_API_KEY'),
});
const shop = createShop({
  latipay,
  publicUrl,
  currency: process.env.SHOP_CURRENCY ?? 'NZD',
  store: new OrderStore(process.env.SHOP_ORDERS_FILE || undefined),
});

const server = createServer((req, res) => void shop.handle(req, res));
server.listen(port, process.env.SHOP_HOST ?? '127.0.0.1', () => console.log(`shop: listening on ${publicUrl}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
}
