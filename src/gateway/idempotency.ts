import { createHash } from 'node:crypto';
import { isErrorName, isLatipayError, latipayError, repeatedLatipayError } from '../domain/errors.js';
import type { RequestParams } from '../domain/request-params.js';
import { joinParams } from '../domain/signature.js';
import { claimIdempotencyKey, findIdempotencyKey, finishIdempotencyKey } from '../store/idempotency-keys.js';
import type { GatewayContext } from './context.js';

/** What a first request answered: its result, or the business error it was refused with. */
type StoredAnswer<T> = { ok: true; value: T } | { ok: false; name: string; message: string };

const KEY_FORMAT = /^[\x21-\x7e]{1,255}$/;

/**
 * The optional `Idempotency-Key` header [ours] on refunds and barcode charges, for a
 * merchant that cannot tell whether its request arrived (Latipay's requests carry no
 * timestamp, so the protocol alone cannot tell a retry from a replay). The first request
 * with a key claims it (per user_id) before doing anything; its answer, success or
 * refusal, is recorded and every repeat with the same key gets exactly that answer without
 * acting again. A repeat with other parameters is refused (207); a repeat while the first
 * is still running, or after it died mid-way, answers code 1 and acts neither.
 * Keys are remembered IDEMPOTENCY_KEY_HOURS.
 */
export async function idempotent<T>(
  ctx: GatewayContext,
  userId: string,
  key: string | undefined,
  endpoint: string,
  params: RequestParams,
  run: () => Promise<T>,
): Promise<T> {
  if (key === undefined) return run();
  if (!KEY_FORMAT.test(key)) throw latipayError('BAD_PARAMETER', 'Idempotency-Key must be 1 to 255 visible ASCII characters');
  // The parameters as signed (spec §2.1), without the signature: the same request gives the same hash.
  const requestHash = createHash('sha256').update(`${endpoint}\n${joinParams(params.entries, { keepEmpty: true })}`).digest('hex');
  const claimed = await claimIdempotencyKey(ctx.store.db, { user_id: userId, key, endpoint, request_hash: requestHash, created_at: ctx.clock() });
  if (!claimed) return repeat<T>(ctx, userId, key, endpoint, requestHash);

  let answer: StoredAnswer<T>;
  try {
    answer = { ok: true, value: await run() };
  } catch (error) {
    answer = isLatipayError(error)
      ? { ok: false, name: error.errorName, message: error.message }
      : { ok: false, name: 'FAIL', message: 'the first request with this Idempotency-Key failed; its outcome is unknown: check the order before trying with a new key' };
    await finishIdempotencyKey(ctx.store.db, userId, key, JSON.stringify(answer)).catch((recordError: unknown) => {
      ctx.log.error({ err: recordError, userId }, 'could not record an Idempotency-Key answer');
    });
    throw error;
  }
  await finishIdempotencyKey(ctx.store.db, userId, key, JSON.stringify(answer));
  return answer.value;
}

async function repeat<T>(ctx: GatewayContext, userId: string, key: string, endpoint: string, requestHash: string): Promise<T> {
  const first = await findIdempotencyKey(ctx.store.db, userId, key);
  if (!first) throw latipayError('FAIL', 'the Idempotency-Key was just forgotten; try again');
  if (first.endpoint !== endpoint || first.request_hash !== requestHash) {
    throw latipayError('BAD_PARAMETER', 'Idempotency-Key was used before for a different request');
  }
  if (first.status !== 'done' || first.answer === null) {
    throw latipayError('FAIL', 'a request with this Idempotency-Key has not finished (or stopped half-way); nothing was done again: check the order');
  }
  const answer = JSON.parse(first.answer) as StoredAnswer<T>;
  if (answer.ok) return answer.value;
  throw repeatedLatipayError(isErrorName(answer.name) ? answer.name : 'FAIL', answer.message);
}
