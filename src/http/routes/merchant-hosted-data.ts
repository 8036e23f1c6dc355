import type { FastifyInstance } from 'fastify';
import { loadGatewayData } from '../../gateway/merchant-hosted-data.js';
import { GatewayDataAnswer, NonceParams } from '../schemas.js';

/**
 * `GET /v2/merchanthosted/gatewaydata/{nonce}` (spec §4.3): the QR and details for a
 * merchant-hosted order; also at the older path without `/v2` that earlier integrations call.
 */
export async function merchantHostedDataRoute(app: FastifyInstance): Promise<void> {
  for (const path of ['/v2/merchanthosted/gatewaydata/:nonce', '/merchanthosted/gatewaydata/:nonce']) {
    app.get<{ Params: { nonce: string } }>(
      path,
      { schema: { params: NonceParams, response: { 200: GatewayDataAnswer } } },
      async (request, reply) => {
        reply.header('cache-control', 'no-store');
        const data = await loadGatewayData(app.gateway, request.params.nonce);
        return { code: 0, message: 'SUCCESS', data };
      },
    );
  }
}
