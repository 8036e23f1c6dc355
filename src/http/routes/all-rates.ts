import type { FastifyInstance } from 'fastify';
import { originOf } from '../origin.js';
import { RequestParams } from '../../domain/request-params.js';
import { listWalletRates } from '../../gateway/wallet-rates.js';
import { AllRateAnswer, LatipayQuery } from '../schemas.js';

/** `GET /v2/all_rate?user_id&wallet_id&signature` (spec §4.11): the FX rates of the wallet's currency. */
export async function allRatesRoute(app: FastifyInstance): Promise<void> {
  app.get('/v2/all_rate', { schema: { querystring: LatipayQuery, response: { 200: AllRateAnswer } } }, async (request) => {
    const answer = await listWalletRates(app.gateway, RequestParams.from(request.query), originOf(request));
    return { code: 0, message: 'SUCCESS', ...answer };
  });
}
