import type { FastifyInstance } from 'fastify';
import { originOf } from '../origin.js';
import { RequestParams } from '../../domain/request-params.js';
import { createAlipayMiniPayment } from '../../gateway/create-alipay-mini-payment.js';
import { createWechatMiniPayment } from '../../gateway/create-wechat-mini-payment.js';
import { LatipayBody, MiniAlipayAnswer, MiniAppPayAnswer } from '../schemas.js';

/** The mini program payments (spec §4.13): `POST /v2/miniapppay` (WeChat) and `POST /v2/minialipay` (Alipay). */
export async function miniProgramRoutes(app: FastifyInstance): Promise<void> {
  app.post('/v2/miniapppay', { schema: { body: LatipayBody, response: { 200: MiniAppPayAnswer } } }, async (request) => {
    const answer = await createWechatMiniPayment(app.gateway, RequestParams.from(request.body), originOf(request));
    return { code: 0, message: 'SUCCESS', ...answer };
  });
  app.post('/v2/minialipay', { schema: { body: LatipayBody, response: { 200: MiniAlipayAnswer } } }, async (request) => {
    const answer = await createAlipayMiniPayment(app.gateway, RequestParams.from(request.body), originOf(request));
    // Latipay's example answer carries messageCN too.
    return { code: 0, message: 'SUCCESS', messageCN: '操作成功', ...answer };
  });
}
