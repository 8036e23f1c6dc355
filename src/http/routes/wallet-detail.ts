import type { FastifyInstance } from 'fastify';
import { originOf } from '../origin.js';
import { RequestParams } from '../../domain/request-params.js';
import { describeWallet } from '../../gateway/wallet-detail.js';
import { LatipayQuery, WalletDetailAnswer, WalletParams } from '../schemas.js';

/** `GET /v2/detail/{wallet_id}?user_id&signature` (spec §4.10): the payment methods a wallet accepts. */
export async function walletDetailRoute(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { wallet_id: string } }>(
    '/v2/detail/:wallet_id',
    { schema: { params: WalletParams, querystring: LatipayQuery, response: { 200: WalletDetailAnswer } } },
    async (request) => {
      const answer = await describeWallet(app.gateway, request.params.wallet_id, RequestParams.from(request.query), originOf(request));
      return { code: 0, message: 'SUCCESS', ...answer };
    },
  );
}
