import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { FastifyInstance, FastifySchema } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { Config } from '../config.js';

/**
 * The OpenAPI 3 document of the merchant API (`GET /openapi.json`) and a page to read it
 * (`GET /docs`, Swagger UI served from @fastify/swagger-ui's own files, no CDN).
 *
 * @fastify/swagger collects the routes as they are registered; the document describes the
 * merchant endpoints listed in MERCHANT_API below, with the answers' TypeBox schemas the
 * routes already have. The request fields are described here, for the document only: the
 * routes keep validating with their own, permissive schemas (every field is signed, so
 * extra ones are kept), and their behaviour and speed stay as they are. Any other route
 * (payment pages, the sandbox, provider notifications, /metrics) is left out.
 */

const Value = Type.Union([Type.String(), Type.Number()]);
const field = (description: string, example?: string) => Type.String({ description, ...(example ? { example } : {}) });
const amount = (description: string) => Type.Union([Type.String(), Type.Number()], { description, example: '120.00' });
const signature = field('HMAC-SHA256 (lowercase hex) of the sorted parameters + api_key, keyed by the api_key: see the signature rule above');
const userId = field('Your user id', 'U000334333');
const walletId = field('The wallet the money goes to', 'W00000001');
/** A request body: the fields named, and any other field (signed like the rest, otherwise ignored). */
const body = (properties: Record<string, TSchema>, required: string[]): TSchema => ({ ...Type.Object(properties, { additionalProperties: Value }), required });
const query = (properties: Record<string, TSchema>) => Type.Object(properties, { additionalProperties: Type.String() });

const PAYMENT_METHODS = ['alipay', 'wechat', 'onlineBank', 'polipay', 'payid', 'upi_upop', 'moneymore', 'coin_payments', 'unionpay'];

const INTRO = `The Latipay 2.0 merchant API as this gateway serves it: existing Latipay 2.0 integrations work against it unchanged.

**Answers.** Every request that reaches the application is answered **HTTP 200** with a JSON object whose integer \`code\` says the outcome (\`0\` = success) and \`message\` explains it (\`"SUCCESS"\` exactly on success). Business errors are HTTP 200 too: 204 a field is missing, 205 unknown or disabled user, 206 bad signature, 207 a parameter is wrong, 201 no such order, 303/304 payment method, 450 wallet not assigned to the user, 454 over the single-payment limit, 550–562 refunds, 900/901 cancel. Only transport-level refusals use 4xx/5xx (a body over 64 KiB: 413; too many failed authentications: 429; a server fault: 500), each still with a \`{code, message}\` JSON body.

**Requests.** POST bodies are JSON (\`application/json\`) or \`application/x-www-form-urlencoded\`; GET parameters go in the query string. Amounts are decimal strings with at most two decimals (\`"120.00"\`); amounts the gateway sends are always strings with exactly two.

**Signature rule.** Every request carries \`signature\`: take every parameter except \`signature\` (path parameters such as \`merchant_reference\` included), drop those that are null or empty, sort the names in plain code-unit order, join them as \`name=value\` with \`&\`, append your api_key, and compute HMAC-SHA256 of that text keyed by your api_key, in lowercase hex. Values are used exactly as sent. For example, with api_key \`111222333\`, \`merchant_reference=6000324&user_id=U000000013111222333\` gives \`58f93f458880120d650611f2452917a25a39edc2f5e3a03baac73a7a49bc81f4\`. The legacy forms of Latipay 2.0 clients are accepted too. Answers that carry a \`signature\` are signed by the gateway: a created transaction with HMAC(\`nonce + host_url\`), an order's status with HMAC(\`merchant_reference + payment_method + status + currency + amount\`), and invoice answers with the sorted signature over their fields except \`code\`, \`message\` and \`signature\`.

**Callbacks.** When an order reaches a final status the gateway POSTs \`merchant_reference, order_id, currency, amount, payment_method, status, pay_time, signature\` (form-encoded) to the order's \`callback_url\`, with Standard Webhooks headers, until your server answers HTTP 200 with the body \`sent\`.`;

interface RouteDoc {
  summary: string;
  description: string;
  tags: string[];
  body?: TSchema;
  querystring?: TSchema;
  params?: TSchema;
}

/** The merchant endpoints, by `METHOD url` as registered: what the document says of each. */
const MERCHANT_API: Record<string, RouteDoc> = {
  'POST /v2/transaction': {
    summary: 'Create a payment',
    tags: ['payments'],
    description:
      'Creates an order and answers where to send the customer: `host_url + "/" + nonce`, the hosted payment page. With `host_type=1` (merchant hosted) show the QR yourself from `GET /v2/merchanthosted/gatewaydata/{nonce}`. The answer is signed: `signature` = HMAC(`nonce + host_url`). Re-sending the same parameters for a still-pending order answers a fresh nonce for the same order; different parameters for a used `merchant_reference` answer an error and change nothing.',
    body: body(
      {
        user_id: userId,
        wallet_id: walletId,
        amount: amount('Amount in the wallet currency, at most two decimals'),
        payment_method: Type.String({ enum: PAYMENT_METHODS, description: 'How the customer pays' }),
        return_url: field('Where the browser goes after paying (required unless host_type=1); it receives the signed status', 'https://merchantsite.com/checkout'),
        callback_url: field('Where the gateway POSTs the final status', 'https://merchantsite.com/confirm'),
        merchant_reference: field('Your own order id, unique per user', 'dsi39ej430sks03'),
        ip: field("The customer's IPv4 address", '122.122.122.1'),
        version: Type.String({ enum: ['2.0'], description: 'Always 2.0' }),
        product_name: field('Shown on the payment page', 'Pinot Noir, Otago'),
        backPage_url: field('Optional: a back link on the payment page'),
        present_qr: Type.String({ enum: ['1'], description: 'Optional: "1" shows a WeChat QR page outside WeChat' }),
        host_type: Type.String({ enum: ['0', '1'], description: 'Optional: "1" for merchant hosted (see gatewaydata)' }),
        is_staticpay: Type.String({ enum: ['0', '1'], description: "Optional (console field): paid through the merchant's fixed QR" }),
        is_spotpay: Type.String({ enum: ['0', '1'], description: "Optional (console field): paid at the merchant's counter" }),
        goods_detail: field('Optional (console field): JSON text, an array of {goods_name, quantity, price[, goods_id][, wxpay_goods_id]}; WeChat Pay receives it as the order detail', '[{"goods_name":"Manuka honey","quantity":2,"price":"24.50"}]'),
        id_name: field("Optional (console field): the payer's name at their bank (NZ online banking)"),
        id_number: field("Optional (console field): the payer's id (NZ online banking); kept sealed, never logged"),
        signature,
      },
      ['user_id', 'wallet_id', 'amount', 'payment_method', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name', 'signature'],
    ),
  },
  'GET /v2/transaction/:merchant_reference': {
    summary: 'Query a payment',
    tags: ['payments'],
    description:
      'The order of `merchant_reference` (URL-decoded) and its status: `pending`, `paid`, `failed`, `canceled` or `rejected`. With `is_block=1` the call waits until the status leaves `pending`, or answers pending after LONG_POLL_SECONDS (180 s). Sign `merchant_reference` and `user_id` (and `is_block` when sent). The answer is signed: HMAC(`merchant_reference + payment_method + status + currency + amount`). Unknown reference: code 201.',
    params: Type.Object({ merchant_reference: field('Your order id (URL-encoded in the path)', 'dsi39ej430sks03') }),
    querystring: query({
      user_id: userId,
      is_block: Type.Optional(Type.String({ enum: ['1'], description: '"1" waits for a final status (long-poll)' })),
      signature,
    }),
  },
  'GET /v2/merchanthosted/gatewaydata/:nonce': {
    summary: 'Merchant-hosted QR data',
    tags: ['payments'],
    description:
      'For an order created with `host_type=1`: the QR to show (`qr_code`, a PNG data URL encoding `qr_code_url`) and the order details, with `amount_cny` and `currency_rate` from the FX rates. `data.signature` is the sorted signature over every other `data` field. The nonce is the credential: no signature is asked. Also at the older path `/merchanthosted/gatewaydata/{nonce}`.',
    params: Type.Object({ nonce: field('The nonce of the created transaction (64 hex characters)') }),
  },
  'POST /refund': {
    summary: 'Refund a paid order',
    tags: ['refunds'],
    description:
      'Refunds part or all of a paid order; several refunds may follow while their sum stays within the paid amount, and the wallet balance must cover each (559). Codes: 550 bad parameters, 551 no such order, 556 the refund could not be made, 562 a duplicate of a refund made within REFUND_DUPLICATE_WINDOW_SECONDS. An optional `Idempotency-Key` header makes a retry answer the first outcome. Also at `/v2/refund` and the older `/finance/refund`.',
    body: body(
      {
        user_id: userId,
        order_id: field('The gateway order id', '2017232323345678'),
        refund_amount: amount('Amount to refund, at most two decimals'),
        reference: field('Optional: your note or refund reference'),
        signature,
      },
      ['user_id', 'order_id', 'refund_amount', 'signature'],
    ),
  },
  'POST /cancel': {
    summary: 'Cancel a pending order',
    tags: ['payments'],
    description:
      'A pending order becomes `canceled` and can no longer be paid; its callback is sent. Codes: 0 cancelled, 1 failed now (retry later), 3 data error, 110 no such user, 201 no such order, 205 no key for the user, 206 bad signature, 900 already paid, 901 already failed.',
    body: body({ user_id: userId, merchant_reference: field('Your order id', '9872428736782682'), signature }, ['user_id', 'merchant_reference', 'signature']),
  },
  'POST /barcode': {
    summary: 'Charge a scanned pay code',
    tags: ['payments'],
    description:
      "You scanned the customer's WeChat or Alipay pay code: the charge runs at once and answers the `order_id`. The result is also queryable and, with `callback_url`, notified. An optional `Idempotency-Key` header makes a retry answer the first outcome. Also at `/v2/barcode`.",
    body: body(
      {
        user_id: userId,
        wallet_id: walletId,
        amount: amount('Amount in the wallet currency, at most two decimals'),
        pay_code: field("The customer's pay code (WeChat 10–15 + 16 digits; Alipay 25–30, 16–24 digits)", '134588558514585062'),
        merchant_reference: field('Optional: your own order id'),
        product_name: field('Optional: what is sold'),
        callback_url: field('Optional: where the final status is POSTed'),
        signature,
      },
      ['user_id', 'wallet_id', 'amount', 'pay_code', 'signature'],
    ),
  },
  'POST /v2/miniapppay': {
    summary: 'Pay in a WeChat mini program',
    tags: ['payments'],
    description:
      "Creates a WeChat order for your mini program's user and answers `payment` for `wx.requestPayment` (`packageStr` is its `package`) and `paydata.order_id`. Get the payer's `open_id` for your mini program (`app_id`) from WeChat's code2Session first. With WeChat Pay, `signType` is `RSA` (WeChat Pay's own paySign); with the sandbox it is `HMAC-SHA256`: `paySign` = HMAC-SHA256 keyed by your api_key of `app_id + \"\\n\" + timeStamp + \"\\n\" + nonceStr + \"\\n\" + packageStr + \"\\n\"`. The result is called back to `notify_url` and queried like any order. The same request again answers the same payment. 302: no provider here takes WeChat mini program payments for the wallet; 207 also when WeChat Pay refuses `app_id` or `open_id`.",
    body: body(
      {
        user_id: userId,
        wallet_id: walletId,
        amount: amount('Amount in the wallet currency, at most two decimals'),
        notify_url: field('Where the gateway POSTs the final status', 'https://merchantsite.com/latipay/notify'),
        merchant_reference: field('Your own order id, unique per user', 'Order898237426347832'),
        product_name: field('What is sold', 'Online Ticket'),
        app_id: field("Your mini program's AppID (bound to the wallet's WeChat Pay merchant)", 'wx721398712681232'),
        open_id: field("The payer's openid for your mini program", 'obRdo5H-72b_PH2Lvr5_Dw9bXKHs'),
        signature,
      },
      ['user_id', 'wallet_id', 'amount', 'notify_url', 'merchant_reference', 'product_name', 'app_id', 'open_id', 'signature'],
    ),
  },
  'POST /v2/minialipay': {
    summary: 'Pay in an Alipay mini program',
    tags: ['payments'],
    description:
      "Creates an Alipay order and answers `gatewaydata`, the fields your Alipay mini program joins as `k=v` with `&` into `my.tradePay`'s `orderStr`, and `paydata` (`orderId` is the order id). The fields of `POST /v2/transaction` without `payment_method` and `return_url` (a `payment_method` of `alipay` may be sent, signed or not; any other is 303). Only the sandbox serves it (302 otherwise); its `sign` is your request signature (sorted fields + api_key, HMAC-SHA256) over every `gatewaydata` field but `sign` and `sign_type`, and its `return_url` is the sandbox wallet page where the payer pays.",
    body: body(
      {
        user_id: userId,
        wallet_id: walletId,
        amount: amount('Amount in the wallet currency, at most two decimals'),
        callback_url: field('Where the gateway POSTs the final status', 'https://merchantsite.com/confirm'),
        merchant_reference: field('Your own order id, unique per user', 'dsi39ej430sks03'),
        ip: field("The customer's IPv4 address", '122.122.122.1'),
        version: Type.String({ enum: ['2.0'], description: 'Always 2.0' }),
        product_name: field('What is sold', 'Pinot Noir, Otago'),
        signature,
      },
      ['user_id', 'wallet_id', 'amount', 'callback_url', 'merchant_reference', 'ip', 'version', 'product_name', 'signature'],
    ),
  },
  'GET /v2/detail/:wallet_id': {
    summary: 'Payment methods of a wallet',
    tags: ['wallets'],
    description: 'The methods the wallet accepts, e.g. `"Alipay,Wechat"` (shop plugins build their checkout from it). Sign `wallet_id` and `user_id`.',
    params: Type.Object({ wallet_id: walletId }),
    querystring: query({ user_id: userId, signature }),
  },
  'GET /v2/all_rate': {
    summary: 'FX rates of a wallet',
    tags: ['wallets'],
    description: "The rates the wallet's currency converts at (e.g. NZD→CNY), as used for `amount_cny`.",
    querystring: query({ user_id: userId, wallet_id: walletId, signature }),
  },
  'POST /v2/invoice': {
    summary: 'Create an invoice (payment link)',
    tags: ['invoices'],
    description:
      'Creates a payment link: `invoice_url` (PUBLIC_URL/invoice/{token}) opens a page where the payer picks one of the wallet\'s methods; the page counts opens, expires after `period_time` minutes (1440 by default, at most 43200) and refuses after `max_open_count` opens. Answers `invoice_id`, `qrcode_pic` (a PNG data URL of invoice_url when `qrcode` is true, else empty) and `invoice_url`, signed with the sorted signature over those three fields. The paid result (and any other final status) is POSTed to `notify_url` like a callback, with `merchant_reference` = invoice_id. The same `customer_order_id` with the same fields answers the same invoice; with other fields, 207. Codes: 204, 205, 206, 207, 301 (pay_currency not the wallet\'s), 302 (no provider serves the wallet), 450, 454.',
    body: body(
      {
        user_id: userId,
        wallet_id: walletId,
        amount: amount('Amount in the wallet currency, at most two decimals'),
        product_name: field('Optional: what is sold, shown on the page'),
        period_time: Type.Integer({ description: 'Optional: minutes the page stays valid (default 1440, at most 43200)', example: 1440 }),
        max_open_count: Type.Integer({ description: 'Optional: how many times the page may be opened', example: 5 }),
        app: Type.Integer({ enum: [0, 1], description: 'Optional: 1 created on a phone, 0 elsewhere' }),
        customer_order_id: field('Optional: your own order id, unique per user; addresses the invoice like invoice_id'),
        customer_reference: field('Optional: notes shown on the page'),
        return_url: field('Optional: where the payer goes after paying (receives the signed status like spec §4.5)'),
        notify_url: field('Optional: where the final status is POSTed (like a callback)'),
        qrcode: Type.Boolean({ description: 'Optional: true answers qrcode_pic and shows the QR on the page' }),
        pay_currency: field('Optional: must be the wallet\'s currency (301 otherwise)'),
        signature,
      },
      ['user_id', 'wallet_id', 'amount', 'signature'],
    ),
  },
  'GET /v2/invoice': {
    summary: 'Query an invoice',
    tags: ['invoices'],
    description:
      'The invoice addressed by `invoice_id` or `customer_order_id`, flat: Latipay\'s list fields (status `pending`, `paid`, `failed` or `canceled`) and ours (`max_open_count`, `qrcode`, `app`, `expire_time`, `order_id`: the backing order), signed with the sorted signature over every field but code and message (`payment_methods` written as its items joined by commas). Unknown: 201.',
    querystring: query({
      user_id: userId,
      invoice_id: Type.Optional(field('The invoice (or give customer_order_id)')),
      customer_order_id: Type.Optional(field('Your order id (or give invoice_id)')),
      signature,
    }),
  },
  'GET /v2/invoices': {
    summary: 'List invoices',
    tags: ['invoices'],
    description:
      'Your invoices created from `start_time` up to `end_time` (now when absent; a date alone includes its whole day), of one wallet with `wallet_id`, newest first, `page_size` (default 20, at most 100) at a time from `page` 1. Times are `YYYY-MM-DD HH:mm:ss` or `YYYY-MM-DD` in the gateway\'s time zone. Answers `page`, `page_size`, `total` and `invoices` (each signed like GET /v2/invoice); `signature` signs page, page_size, total and the invoices\' signatures joined by commas.',
    querystring: query({
      user_id: userId,
      start_time: field('Created at or after', '2026-03-01 00:00:00'),
      end_time: Type.Optional(field('Created at or before (default: now)', '2026-03-31')),
      wallet_id: Type.Optional(walletId),
      page: Type.Optional(field('Which page, from 1', '1')),
      page_size: Type.Optional(field('Invoices per page, 1 to 100 (default 20)', '20')),
      signature,
    }),
  },
  'PUT /v2/invoice': {
    summary: 'Edit an unpaid invoice',
    tags: ['invoices'],
    description:
      'Changes an invoice nobody has paid, addressed by `invoice_id` (then `customer_order_id` is a new value) or by `customer_order_id`. `wallet_id` and `amount` are required; any other field of the create may be sent, and one not sent keeps its value. A payment in progress is closed and the backing order follows. Answers like the create. Codes: 900 paid, 901 deleted or expired, 201 unknown, 207 (another wallet once a payer started paying), 1 (the payment in progress could not be closed now).',
    body: body(
      {
        user_id: userId,
        wallet_id: walletId,
        invoice_id: field('The invoice (or give customer_order_id)'),
        amount: amount('The new amount'),
        product_name: field('Optional'),
        period_time: Type.Integer({ description: 'Optional: minutes from the invoice\'s creation' }),
        customer_order_id: field('Optional: the address, or with invoice_id a new value'),
        customer_reference: field('Optional'),
        qrcode: Type.Boolean({ description: 'Optional' }),
        signature,
      },
      ['user_id', 'wallet_id', 'amount', 'signature'],
    ),
  },
  'DELETE /v2/invoice': {
    summary: 'Delete (cancel) an unpaid invoice',
    tags: ['invoices'],
    description:
      'Its page refuses from then on; a backing order still pending is cancelled (its `canceled` status goes to notify_url) and its payment closed. Deleting again answers 0; a paid invoice answers 900; unknown 201. JSON or form body (or, without a body, the query string).',
    body: body(
      {
        user_id: userId,
        invoice_id: field('The invoice (or give customer_order_id)'),
        customer_order_id: field('Your order id (or give invoice_id)'),
        signature,
      },
      ['user_id', 'signature'],
    ),
  },
  'POST /v2/invoice/refund': {
    summary: 'Refund a paid invoice',
    tags: ['invoices'],
    description:
      'Refunds the invoice\'s payment (its backing order) by `POST /refund`\'s rules: the whole amount still refundable, or `refund_amount` [ours] of it. Answers `refund_id`, signed. Codes: 551 unknown, 556 not paid or refused by the provider, 550 bad amount, 559 balance, 562 already refunded in full (or the same amount and reference just now). An optional `Idempotency-Key` header makes a retry answer the first outcome.',
    body: body(
      {
        user_id: userId,
        invoice_id: field('The invoice (or give customer_order_id)'),
        customer_order_id: field('Your order id (or give invoice_id)'),
        reference: field('Optional: notes about this refund'),
        refund_amount: amount('Optional [ours]: part of the amount; default all that is left'),
        signature,
      },
      ['user_id', 'signature'],
    ),
  },
  'GET /healthz': {
    summary: 'Health',
    tags: ['operations'],
    description: 'HTTP 200 `{status: "ok"}` while the database answers, 503 `{status: "unavailable"}` when it does not. No signature.',
  },
};
// The same endpoints at their second paths (clients use both).
MERCHANT_API['POST /v2/refund'] = MERCHANT_API['POST /refund'];
MERCHANT_API['POST /v2/barcode'] = MERCHANT_API['POST /barcode'];
MERCHANT_API['POST /finance/refund'] = MERCHANT_API['POST /refund'];
MERCHANT_API['GET /merchanthosted/gatewaydata/:nonce'] = MERCHANT_API['GET /v2/merchanthosted/gatewaydata/:nonce'];

/** Where the document and the page are served. */
export const OPENAPI_PATH = '/openapi.json';
export const DOCS_PREFIX = '/docs';

/**
 * The docs page's own Content-Security-Policy: Swagger UI's scripts and styles come from
 * /docs/static (no inline script), it fetches the document from this origin, and nothing
 * may frame it. The one inline <style> the bundle adds is allowed by its hash
 * (test/browser/api-docs.test.ts fails on any violation, so a new bundle's is noticed).
 */
const SWAGGER_UI_STYLE_HASH = "'sha256-RL3ie0nH+Lzz2YNqQN83mnU0J1ot4QL7b99vMdIX99w='";
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  `style-src 'self' ${SWAGGER_UI_STYLE_HASH}`,
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ');

/** Registers the collector; call before the routes, so it sees them all. */
export async function registerOpenApi(app: FastifyInstance, config: Config): Promise<void> {
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: { title: 'Latipay 2.0 gateway API', version: '2.0', description: INTRO, license: { name: 'MIT' } },
      servers: [{ url: config.publicUrl }],
      tags: [
        { name: 'payments', description: 'Create, query and cancel payments' },
        { name: 'refunds', description: 'Refund paid orders' },
        { name: 'wallets', description: 'What a wallet accepts and converts at' },
        { name: 'invoices', description: 'Payment links: create, query, list, edit, delete, refund' },
        { name: 'operations', description: 'For the operator' },
      ],
    },
    transform: ({ schema, url, route }) => {
      const method = Array.isArray(route.method) ? route.method.join(',') : route.method;
      const doc = MERCHANT_API[`${method} ${url}`];
      if (!doc) return { schema: { ...schema, hide: true } as FastifySchema, url };
      const { body: documentedBody, querystring, params, ...text } = doc;
      const answer = (schema?.response as Record<string, object> | undefined)?.[200];
      return {
        url,
        schema: {
          ...schema,
          ...text,
          ...(answer ? { response: { 200: { ...answer, description: ANSWER_DESCRIPTION } } } : {}),
          ...(documentedBody ? { body: documentedBody, consumes: ['application/json', 'application/x-www-form-urlencoded'] } : {}),
          ...(querystring ? { querystring } : {}),
          ...(params ? { params } : {}),
        } as FastifySchema,
      };
    },
    transformObject: (document) => addRefusals(('openapiObject' in document ? document.openapiObject : document.swaggerObject) as unknown as OpenApiDocument) as never,
  });
}

const ANSWER_DESCRIPTION = 'The outcome, success or not: `code` 0 is success, any other `code` a refusal explained by `message` (HTTP 200 either way)';

interface OpenApiDocument {
  paths: Record<string, Record<string, { responses: Record<string, unknown>; tags?: string[] }>>;
  components: { schemas?: Record<string, unknown>; responses?: Record<string, unknown> };
}

/**
 * The shared shape of every answer, and the refusals made before the application (HTTP
 * 4xx/5xx, still with a `{code, message}` body; docs/http-limits.md lists them), added to
 * every merchant operation.
 */
function addRefusals(document: OpenApiDocument): OpenApiDocument {
  const answer = { $ref: '#/components/schemas/Answer' };
  document.components.schemas = {
    ...document.components.schemas,
    Answer: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'integer', description: 'The Latipay code: 0 success, otherwise the reason (spec §5)' },
        message: { type: 'string', description: '"SUCCESS" on success, otherwise what went wrong' },
      },
    },
  };
  document.components.responses = {
    ...document.components.responses,
    Refused: {
      description:
        'Refused before reaching the application: not HTTP, a body over 64 KiB (413), a path parameter too long (414), no such endpoint (404), too many failed authentications (429, with Retry-After)',
      content: { 'application/json': { schema: answer } },
    },
    ServerFault: { description: 'The gateway failed (no internals are shown; the log has the request id)', content: { 'application/json': { schema: answer } } },
  };
  for (const operations of Object.values(document.paths)) {
    for (const operation of Object.values(operations)) {
      if (operation.tags?.includes('operations')) continue;
      operation.responses['4XX'] = { $ref: '#/components/responses/Refused' };
      operation.responses['5XX'] = { $ref: '#/components/responses/ServerFault' };
    }
  }
  return document;
}

/** Serves the document and the page (the document is made from the routes at its first request). */
export async function registerApiDocsRoutes(app: FastifyInstance): Promise<void> {
  app.get(OPENAPI_PATH, async (_request, reply) => reply.header('cache-control', 'no-cache').send(app.swagger()));
  await app.register(async (docs) => {
    docs.addHook('onSend', async (_request, reply) => {
      reply.header('x-content-type-options', 'nosniff');
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'no-referrer');
    });
    await docs.register(swaggerUi, {
      routePrefix: DOCS_PREFIX,
      staticCSP: DOCS_CSP,
      uiConfig: { validatorUrl: null, deepLinking: true, docExpansion: 'list', tryItOutEnabled: false },
      theme: { title: 'Latipay gateway API' },
    });
  });
}

/** The merchant routes the document describes (`METHOD url`), for tests. */
export const DOCUMENTED_ROUTES: readonly string[] = Object.freeze(Object.keys(MERCHANT_API));
