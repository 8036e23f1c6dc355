import type { FastifyInstance } from 'fastify';
import { idempotencyKeyOf, originOf } from '../origin.js';
import { Type } from 'typebox';
import { isLatipayError, latipayError } from '../../domain/errors.js';
import { RequestParams } from '../../domain/request-params.js';
import { refundOrder } from '../../gateway/refund-order.js';

const RefundAnswer = Type.Object({ code: Type.Integer(), message: Type.String(), refund_id: Type.Optional(Type.String()) });

/** `POST /refund` and `POST /v2/refund` (spec §4.7; a Ruby client posts to the first, a PHP driver to the second). */
export async function refundRoute(app: FastifyInstance): Promise<void> {
  for (const path of ['/refund', '/v2/refund', '/finance/refund']) {
    app.post(path, { schema: { response: { 200: RefundAnswer } } }, async (request) => {
      const { refund_id } = await refundOrder(app.gateway, refundParams(request.body), originOf(request), idempotencyKeyOf(request));
      return { code: 0, message: 'SUCCESS', refund_id };
    });
  }
}

/** A body that is not a flat object of values is a refund parameter error (550), as the spec's codes have it. */
function refundParams(body: unknown): RequestParams {
  try {
    return RequestParams.from(body);
  } catch (error) {
    if (isLatipayError(error)) throw latipayError('REFUND_BAD_PARAMETERS', error.message);
    throw error;
  }
}
