import type { FastifyInstance } from 'fastify';
import { idempotencyKeyOf, originOf } from '../origin.js';
import { RequestParams } from '../../domain/request-params.js';
import { createBarcodePayment } from '../../gateway/create-barcode-payment.js';
import { BarcodeAnswer, LatipayBody } from '../schemas.js';

/** `POST /barcode` (spec §4.9), also at `/v2/barcode`: the merchant scanned the customer's pay code. */
export async function barcodeRoute(app: FastifyInstance): Promise<void> {
  for (const url of ['/barcode', '/v2/barcode']) {
    app.post(url, { schema: { body: LatipayBody, response: { 200: BarcodeAnswer } } }, async (request) => {
      const payment = await createBarcodePayment(app.gateway, RequestParams.from(request.body), originOf(request), idempotencyKeyOf(request));
      return { code: 0, message: 'SUCCESS', ...payment };
    });
  }
}
