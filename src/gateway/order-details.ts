import type { OrderDetails } from '../domain/order-details.js';
import { findOrderDetails } from '../store/order-details.js';
import type { GatewayContext } from './context.js';

/** How an order's console fields are kept: JSON, the id number sealed with SECRET_KEY. */
interface StoredDetails extends Omit<OrderDetails, 'idNumber'> {
  readonly idNumberSealed?: string;
}

export function sealOrderDetails(ctx: Pick<GatewayContext, 'secrets'>, details: OrderDetails): string {
  const { idNumber, ...rest } = details;
  const stored: StoredDetails = idNumber === undefined ? rest : { ...rest, idNumberSealed: ctx.secrets.seal(idNumber) };
  return JSON.stringify(stored);
}

/** An order's console fields, the id number opened; undefined when its create sent none. */
export async function loadOrderDetails(ctx: Pick<GatewayContext, 'secrets' | 'store'>, orderId: string): Promise<OrderDetails | undefined> {
  const text = await findOrderDetails(ctx.store.db, orderId);
  if (text === undefined) return undefined;
  const { idNumberSealed, ...rest } = JSON.parse(text) as StoredDetails;
  return idNumberSealed === undefined ? rest : { ...rest, idNumber: ctx.secrets.open(idNumberSealed) };
}
