import type { IncomingMessage, ServerResponse } from 'node:http';
import { LatipaySignatureError } from './errors.js';
import type { FormInput } from './events.js';
import type { CallbackEvent } from './types.js';
import type { WebhookHeaders } from './webhook.js';

/**
 * Ready-made endpoints for the asynchronous notification (spec §4.4). They verify the
 * form body and, when the callback carries them, its Standard Webhooks headers (over the
 * raw body), hand your listener a typed event, and answer `sent` (HTTP 200) only once the
 * listener has finished without throwing; otherwise `fail` (and the gateway tries again
 * later, so a listener must be idempotent: the same callback may arrive more than once;
 * `event.webhook.id` is the same on every retry).
 *
 *   405 fail  not a POST
 *   413 fail  body over `maxBodyBytes`
 *   400 fail  forged, altered or stale (LatipaySignatureError)
 *   500 fail  your listener threw
 *   200 sent  recorded
 */

/** Your code: record the result (idempotently). Throw to have the gateway retry later. */
export type CallbackListener = (event: CallbackEvent) => unknown;

/** What verifies a callback: a `Latipay` client. */
export interface CallbackVerifier {
  verifyCallback(formBody: FormInput, headers?: WebhookHeaders): CallbackEvent;
}

export interface CallbackHandlerOptions {
  /** The largest body accepted (default 64 KiB; a callback is a few hundred bytes). */
  maxBodyBytes?: number | undefined;
  /**
   * Told about every callback that was not answered `sent` (a forged one: `event` is
   * undefined). Default: one line on stderr.
   */
  onError?: ((error: unknown, event: CallbackEvent | undefined) => void) | undefined;
}

interface Outcome {
  status: number;
  body: 'sent' | 'fail';
}

class BodyTooLarge extends Error {}

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

function defaultOnError(error: unknown, event: CallbackEvent | undefined): void {
  const what = event ? `callback for ${event.merchant_reference} (${event.status})` : 'callback';
  console.error(`latipay: ${what} not acknowledged: ${error instanceof Error ? error.message : String(error)}`);
}

/** The one flow every adapter shares. */
async function handle(
  latipay: CallbackVerifier,
  listener: CallbackListener,
  options: CallbackHandlerOptions,
  method: string | undefined,
  headers: WebhookHeaders,
  readBody: () => Promise<FormInput>,
): Promise<Outcome> {
  const onError = options.onError ?? defaultOnError;
  if (method !== 'POST') return { status: 405, body: 'fail' };
  let event: CallbackEvent;
  try {
    event = latipay.verifyCallback(await readBody(), headers);
  } catch (error) {
    onError(error, undefined);
    if (error instanceof BodyTooLarge) return { status: 413, body: 'fail' };
    if (error instanceof LatipaySignatureError) return { status: 400, body: 'fail' };
    return { status: 500, body: 'fail' };
  }
  try {
    await listener(event);
  } catch (error) {
    onError(error, event);
    return { status: 500, body: 'fail' };
  }
  return { status: 200, body: 'sent' };
}

/** Reads a request stream as text, refusing more than `limit` bytes. */
async function readStream(stream: AsyncIterable<unknown>, limit: number): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : (chunk as Buffer);
    size += buffer.length;
    if (size > limit) throw new BodyTooLarge(`the callback body is larger than ${limit} bytes`);
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * A body a framework already read, if any: the raw bytes a body parser kept (`rawBody`, as
 * `express.urlencoded({ verify })` or fastify-raw-body leave them) come first, since the
 * webhook signature covers them exactly. Express's body parsers leave `{}` on requests
 * they did not parse; the stream is then still unread, and is read instead.
 */
function parsedBody(body: unknown, stream: IncomingMessage, rawBody?: unknown): FormInput | undefined {
  if (typeof rawBody === 'string' || Buffer.isBuffer(rawBody)) return rawBody;
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || Buffer.isBuffer(body) || body instanceof URLSearchParams) return body;
  if (typeof body === 'object') {
    if (Object.keys(body).length === 0 && !stream.readableEnded) return undefined;
    return body as Record<string, unknown>;
  }
  return undefined;
}

function send(res: ServerResponse, outcome: Outcome): void {
  res.statusCode = outcome.status;
  res.setHeader('content-type', 'text/plain; charset=utf-8');
  if (outcome.status === 405) res.setHeader('allow', 'POST');
  res.end(outcome.body);
}

/**
 * A request handler for Node's `http` server that receives Latipay's notification at your
 * `callback_url`: verifies it, calls `listener` with the typed event, and answers `sent`
 * only when the listener succeeded (else `fail`, so the gateway retries).
 *
 * @example
 * import { createServer } from 'node:http';
 * const onCallback = createCallbackHandler(latipay, async (event) => {
 *   await orders.update(event.merchant_reference, { status: event.status, latipayOrderId: event.order_id });
 * });
 * createServer((req, res) => {
 *   if (req.url === '/latipay/callback') return void onCallback(req, res);
 *   // … the rest of your site
 * }).listen(3000);
 */
export function createCallbackHandler(
  latipay: CallbackVerifier,
  listener: CallbackListener,
  options: CallbackHandlerOptions = {},
): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (req, res) => {
    const outcome = await handle(latipay, listener, options, req.method, req.headers, async () => {
      const { body, rawBody } = req as { body?: unknown; rawBody?: unknown };
      return parsedBody(body, req, rawBody) ?? readStream(req, limit);
    });
    send(res, outcome);
  };
}

/**
 * The parts of an Express request the adapter uses (an Express `Request` is one).
 * `rawBody`: the bytes as received, if a body parser kept them.
 */
export type ExpressLikeRequest = IncomingMessage & { body?: unknown; rawBody?: unknown };

/**
 * The same for Express (no dependency on it): works with or without `express.urlencoded()`.
 * With it, keep the raw body for the webhook signature:
 * `express.urlencoded({ extended: false, verify: (req, _res, buf) => { req.rawBody = buf; } })`
 * (without it the parsed fields are serialised again, which reproduces this gateway's body).
 *
 * @example
 * app.post('/latipay/callback', expressCallbackHandler(latipay, async (event) => {
 *   if (event.paid) await orders.markPaid(event.merchant_reference);
 * }));
 */
export function expressCallbackHandler(
  latipay: CallbackVerifier,
  listener: CallbackListener,
  options: CallbackHandlerOptions = {},
): (req: ExpressLikeRequest, res: ServerResponse, next?: (error?: unknown) => void) => void {
  const handler = createCallbackHandler(latipay, listener, options);
  return (req, res, next) => {
    handler(req, res).catch((error: unknown) => (next ? next(error) : res.destroy(error as Error)));
  };
}

/** The parts of a fastify request the adapter uses (a `FastifyRequest` is one). */
export interface FastifyLikeRequest {
  method: string;
  body?: unknown;
  /** The bytes as received, if a plugin kept them (fastify-raw-body). */
  rawBody?: unknown;
  raw: IncomingMessage;
}

/** The parts of a fastify reply the adapter uses (a `FastifyReply` is one). */
export interface FastifyLikeReply {
  code(statusCode: number): FastifyLikeReply;
  header(name: string, value: string): FastifyLikeReply;
  send(payload: string): unknown;
}

/**
 * The same as a fastify route handler (no dependency on fastify). fastify parses no form
 * bodies by default: register a parser that keeps the text (below: the webhook signature
 * is checked over exactly those bytes), or `@fastify/formbody`.
 *
 * @example
 * app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => done(null, body));
 * app.post('/latipay/callback', fastifyCallbackHandler(latipay, async (event) => {
 *   if (event.paid) await orders.markPaid(event.merchant_reference);
 * }));
 */
export function fastifyCallbackHandler(
  latipay: CallbackVerifier,
  listener: CallbackListener,
  options: CallbackHandlerOptions = {},
): (request: FastifyLikeRequest, reply: FastifyLikeReply) => Promise<unknown> {
  const limit = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (request, reply) => {
    const outcome = await handle(latipay, listener, options, request.method, request.raw.headers, async () => {
      return parsedBody(request.body, request.raw, request.rawBody) ?? readStream(request.raw, limit);
    });
    const answer = reply.code(outcome.status).header('content-type', 'text/plain; charset=utf-8');
    if (outcome.status === 405) answer.header('allow', 'POST');
    return answer.send(outcome.body);
  };
}
