import type { FastifyInstance } from 'fastify';
import { originOf } from '../origin.js';
import { RequestParams } from '../../domain/request-params.js';
import { createTransaction } from '../../gateway/create-transaction.js';
import { CreateTransactionAnswer, LatipayBody } from '../schemas.js';

export async function createTransactionRoute(app: FastifyInstance): Promise<void> {
  app.post('/v2/transaction', { schema: { body: LatipayBody, response: { 200: CreateTransactionAnswer } } }, async (request) => {
    const created = await createTransaction(app.gateway, RequestParams.from(request.body), originOf(request));
    return { code: 0, message: 'SUCCESS', ...created };
  });
}
