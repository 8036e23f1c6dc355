import { isLatipayError, latipayError } from '../domain/errors.js';
import { RequestParams } from '../domain/request-params.js';
import { joinParams } from '../domain/signature.js';
import { findOrderResultByReference, type OrderResult } from '../store/orders.js';
import { authenticateRequest, type Authenticated, type RequestOrigin } from './authenticate.js';
import type { GatewayContext } from './context.js';
import { resultFields } from './result-fields.js';

export interface QueryOptions {
  /**
   * Called when a long-poll starts to wait, with the function that ends the wait early: the
   * caller calls it when the client goes away. (Shutdown ends every wait by itself.)
   */
  whenStopped?: (stop: () => void) => void;
  /** Other readings of the path's reference (a `+` meaning a space, spec §6), tried when the first does not verify. */
  otherReferences?: readonly string[];
  /**
   * Asked before a long-poll waits, with the authenticated user_id: the function that ends
   * the hold, or undefined when the user holds too many already; the query then answers at
   * once with the current state, as a timeout would. Absent: every long-poll waits.
   */
  holdLongPoll?: (userId: string) => (() => void) | undefined;
}

/**
 * `GET /v2/transaction/{merchant_reference}` (spec §4.6). With `is_block=1` it waits until
 * the order leaves `pending` (woken by the change, wherever it happened) or LONG_POLL_SECONDS pass.
 */
export async function queryTransaction(
  ctx: GatewayContext,
  pathReference: string,
  params: RequestParams,
  origin: RequestOrigin,
  options: QueryOptions = {},
) {
  const { otherReferences = [] } = options;
  params.requireAll(['user_id', 'signature']);
  const userId = params.required('user_id');
  // Clients sign the path's reference with the query (sorted or in order), some without
  // is_block, and old ones sign `merchant_reference + user_id` (spec §2.2).
  const authenticate = (reference: string) =>
    authenticateRequest(ctx, new RequestParams([['merchant_reference', reference], ...params.entries]), origin, {
      extra: (apiKey) => [
        { form: 'legacy-query', message: reference + userId },
        { form: 'sorted', message: joinParams([['merchant_reference', reference], ['user_id', userId]]) + apiKey },
        // user_id first, as the docs' cancel example orders them.
        { form: 'received-order', message: joinParams([['user_id', userId], ['merchant_reference', reference]], { sorted: false }) + apiKey },
      ],
    });
  const candidates = [pathReference, ...otherReferences.filter((r) => r !== pathReference)];
  let merchantReference = pathReference;
  let auth: Authenticated | undefined;
  for (const [i, candidate] of candidates.entries()) {
    try {
      auth = await authenticate(candidate);
      merchantReference = candidate;
      break;
    } catch (error) {
      if (i === candidates.length - 1 || !isLatipayError(error) || error.errorName !== 'BAD_SIGNATURE') throw error;
    }
  }
  if (!auth) throw latipayError('BAD_SIGNATURE');
  const { user, key } = auth;
  const isBlock = params.text('is_block');
  if (isBlock !== undefined && isBlock !== '0' && isBlock !== '1') throw latipayError('BAD_PARAMETER', 'is_block must be 1 or 0');
  const order = await findOrderResultByReference(ctx.store.db, user.id, merchantReference);
  if (!order) throw latipayError('ORDER_NOT_FOUND', `no order with merchant_reference ${merchantReference}`);
  if (isBlock === '1' && order.status === 'pending') {
    // Past the user's limit of waiting long-polls, the answer is the current state, as after a timeout.
    const release = options.holdLongPoll ? options.holdLongPoll(user.id) : () => {};
    if (release) return answerAfterWait(ctx, order, user.id, merchantReference, key, release, options.whenStopped);
  }
  return resultFields(order, key, ctx.config.timeZoneOffsetMinutes);
}

/**
 * Waits until the order leaves `pending` (or the wait ends), then gives back the user's
 * long-poll slot and answers the order as it is then. Not an async function: while
 * thousands wait, each holds a waiter record and this promise's callbacks, not a suspended frame.
 */
function answerAfterWait(
  ctx: GatewayContext,
  order: OrderResult,
  userId: string,
  merchantReference: string,
  key: string,
  release: () => void,
  whenStopped: QueryOptions['whenStopped'],
) {
  return ctx.orderWaiters.wait(order.order_id, ctx.config.longPollSeconds * 1000, whenStopped).then(
    async (found) => {
      release();
      // Done: the order as the waiter's check read it. Ended otherwise (a timeout): as it is now.
      const now = found ?? (await findOrderResultByReference(ctx.store.db, userId, merchantReference)) ?? order;
      return resultFields(now, key, ctx.config.timeZoneOffsetMinutes);
    },
    (error: unknown) => {
      release();
      throw error;
    },
  );
}
