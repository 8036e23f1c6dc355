import type { FastifyInstance } from 'fastify';
import { loadGatewayData } from '../../gateway/merchant-hosted-data.js';
import { GatewayDataAnswer, NonceParams } from '../schemas.js';

/** `GET /v2/merchanthosted/gatewaydata/{nonce}` (spec §4.3): the QR and details for a merchant-hosted order. */
export async function merchantHostedDataRoute(app: FastifyInstance): Promise<void> {
  app.get<{ Params: { nonce: string } }>(
    '/v2/merchanthosted/gatewaydata/:nonce',
    { schema: { params: NonceParams, response: { 200: GatewayDataAnswer } } },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      const data = await loadGatewayData(app.gateway, request.params.nonce);
      return { code: 0, message: 'SUCCESS', data };
    },
  );
}
