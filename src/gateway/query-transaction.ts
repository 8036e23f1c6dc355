import { latipayError } from '../domain/errors.js';
import { RequestParams } from '../domain/request-params.js';
import { joinParams } from '../domain/signature.js';
import { waitForOrder } from '../notify/order-events.js';
import { findOrderByReference, findOrderStatus } from '../store/orders.js';
import { authenticateRequest } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { resultFields } from './result-fields.js';

/**
 * `GET /v2/transaction/{merchant_reference}` (spec §4.6). With `is_block=1` it waits until
 * the order leaves `pending` (woken by the change, wherever it happened) or LONG_POLL_SECONDS pass.
 */
export async function queryTransaction(ctx: GatewayContext, merchantReference: string, params: RequestParams, signal?: AbortSignal) {
  params.requireAll(['user_id', 'signature']);
  // Clients sign the path's reference with the query (sorted or in order), some without
  // is_block, and old ones sign `merchant_reference + user_id` (spec §2.2).
  const signed = new RequestParams([['merchant_reference', merchantReference], ...params.entries]);
  const userId = params.required('user_id');
  const user = await authenticateRequest(ctx, signed, (apiKey) => [
    merchantReference + userId,
    joinParams([['merchant_reference', merchantReference], ['user_id', userId]]) + apiKey,
    joinParams(params.entries) + apiKey,
  ]);
  const isBlock = params.text('is_block');
  if (isBlock !== undefined && isBlock !== '0' && isBlock !== '1') throw latipayError('BAD_PARAMETER', 'is_block must be 1 or 0');
  let order = await findOrderByReference(ctx.store.db, user.id, merchantReference);
  if (!order) throw latipayError('ORDER_NOT_FOUND', `no order with merchant_reference ${merchantReference}`);
  if (isBlock === '1' && order.status === 'pending') {
    const orderId = order.order_id;
    await waitForOrder(
      ctx.events,
      orderId,
      async () => (await findOrderStatus(ctx.store.db, orderId)) !== 'pending',
      ctx.config.longPollSeconds * 1000,
      signal,
    );
    order = (await findOrderByReference(ctx.store.db, user.id, merchantReference)) ?? order;
  }
  return resultFields(order, user.apiKey, ctx.config.timeZoneOffsetMinutes);
}
