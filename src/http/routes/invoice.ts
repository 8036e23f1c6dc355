import type { FastifyInstance, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { isLatipayError, latipayError } from '../../domain/errors.js';
import { RequestParams } from '../../domain/request-params.js';
import { createInvoice } from '../../gateway/create-invoice.js';
import { deleteInvoice } from '../../gateway/delete-invoice.js';
import { listInvoices } from '../../gateway/list-invoices.js';
import { queryInvoice } from '../../gateway/query-invoice.js';
import { refundInvoice } from '../../gateway/refund-invoice.js';
import { updateInvoice } from '../../gateway/update-invoice.js';
import { idempotencyKeyOf, originOf } from '../origin.js';
import { LatipayBody, LatipayQuery } from '../schemas.js';

const Text = Type.String();
const Answer = { code: Type.Integer(), message: Type.String() };

export const InvoiceLinkAnswer = Type.Object({
  ...Answer,
  invoice_id: Type.Optional(Text),
  qrcode_pic: Type.Optional(Text),
  invoice_url: Type.Optional(Text),
  signature: Type.Optional(Text),
});

const InvoiceFields = {
  user_id: Text,
  wallet_id: Text,
  wallet_name: Text,
  amount: Text,
  currency: Text,
  organisation_id: Type.Integer(),
  organisation: Text,
  product_name: Text,
  period_time: Type.Integer(),
  open_count: Type.Integer(),
  customer_order_id: Text,
  customer_reference: Text,
  created_time: Text,
  paid_time: Text,
  invoice_id: Text,
  invoice_url: Text,
  return_url: Text,
  notify_url: Text,
  token: Text,
  status: Text,
  paid_method: Text,
  payment_methods: Type.Array(Text),
  payer: Text,
  max_open_count: Type.Union([Type.Integer(), Type.Null()]),
  qrcode: Type.Boolean(),
  app: Type.Union([Type.Integer(), Type.Null()]),
  expire_time: Text,
  order_id: Text,
  signature: Text,
};

export const InvoiceAnswer = Type.Object({ ...Answer, ...Type.Partial(Type.Object(InvoiceFields)).properties });

export const InvoiceListAnswer = Type.Object({
  ...Answer,
  page: Type.Optional(Type.Integer()),
  page_size: Type.Optional(Type.Integer()),
  total: Type.Optional(Type.Integer()),
  invoices: Type.Optional(Type.Array(Type.Object(InvoiceFields))),
  signature: Type.Optional(Text),
});

export const InvoiceDeleteAnswer = Type.Object(Answer);
export const InvoiceRefundAnswer = Type.Object({ ...Answer, refund_id: Type.Optional(Text), signature: Type.Optional(Text) });

/**
 * The invoice API (spec §4.12, Latipay's invoice.md): create, query one, list, edit,
 * delete, refund. Every request is signed like any other (spec §2.1–2.2); PUT and DELETE
 * take a JSON or form body, or, when they carry none, the query string.
 */
export async function invoiceRoutes(app: FastifyInstance): Promise<void> {
  const ctx = app.gateway;
  app.post('/v2/invoice', { schema: { body: LatipayBody, response: { 200: InvoiceLinkAnswer } } }, async (request) => {
    const answer = await createInvoice(ctx, RequestParams.from(request.body), originOf(request));
    return { code: 0, message: 'SUCCESS', ...answer };
  });
  app.get('/v2/invoice', { schema: { querystring: LatipayQuery, response: { 200: InvoiceAnswer } } }, async (request) => {
    const answer = await queryInvoice(ctx, RequestParams.from(request.query), originOf(request));
    return { code: 0, message: 'SUCCESS', ...answer };
  });
  app.get('/v2/invoices', { schema: { querystring: LatipayQuery, response: { 200: InvoiceListAnswer } } }, async (request) => {
    const answer = await listInvoices(ctx, RequestParams.from(request.query), originOf(request));
    return { code: 0, message: 'SUCCESS', ...answer };
  });
  app.put('/v2/invoice', { schema: { response: { 200: InvoiceLinkAnswer } } }, async (request) => {
    const answer = await updateInvoice(ctx, bodyOrQuery(request), originOf(request));
    return { code: 0, message: 'SUCCESS', ...answer };
  });
  app.delete('/v2/invoice', { schema: { response: { 200: InvoiceDeleteAnswer } } }, async (request) => {
    await deleteInvoice(ctx, bodyOrQuery(request), originOf(request));
    return { code: 0, message: 'SUCCESS' };
  });
  app.post('/v2/invoice/refund', { schema: { response: { 200: InvoiceRefundAnswer } } }, async (request) => {
    let params: RequestParams;
    try {
      params = RequestParams.from(request.body);
    } catch (error) {
      // Like POST /refund: a body that is not a flat object is a refund parameter error.
      if (isLatipayError(error)) throw latipayError('REFUND_BAD_PARAMETERS', error.message);
      throw error;
    }
    const answer = await refundInvoice(ctx, params, originOf(request), idempotencyKeyOf(request));
    return { code: 0, message: 'SUCCESS', ...answer };
  });
}

/** The body's parameters; the query's when the request has no body (a DELETE sent with its fields in the URL). */
function bodyOrQuery(request: FastifyRequest): RequestParams {
  return RequestParams.from(request.body === undefined || request.body === null ? request.query : request.body);
}
