import type { FastifyInstance } from 'fastify';
import { originOf } from '../origin.js';
import { Type } from 'typebox';
import { isLatipayError, latipayError } from '../../domain/errors.js';
import { RequestParams } from '../../domain/request-params.js';
import { cancelOrder } from '../../gateway/cancel-order.js';

const CancelAnswer = Type.Object({ code: Type.Integer(), message: Type.String() });

/**
 * `POST /cancel` (spec §4.8). Its codes differ from the other endpoints': bad parameters are
 * 3 (data error), and a failure of ours (the database) is 1, "retry later", with HTTP 200.
 */
export async function cancelRoute(app: FastifyInstance): Promise<void> {
  app.post('/cancel', { schema: { response: { 200: CancelAnswer } } }, async (request) => {
    let params: RequestParams;
    try {
      params = RequestParams.from(request.body);
    } catch (error) {
      if (isLatipayError(error)) throw latipayError('DATA_ERROR', error.message);
      throw error;
    }
    try {
      await cancelOrder(app.gateway, params, originOf(request));
    } catch (error) {
      if (isLatipayError(error)) throw error;
      request.log.error({ err: error }, 'cancel failed');
      throw latipayError('FAIL', `the order could not be cancelled now; try again (request ${request.id})`);
    }
    return { code: 0, message: 'SUCCESS' };
  });
}
