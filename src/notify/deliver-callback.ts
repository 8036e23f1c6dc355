import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { ForbiddenAddressError, type OutboundGuard } from './outbound-guard.js';

/** The outcome of one POST of a callback to a merchant. */
export interface DeliveryResult {
  readonly ok: boolean;
  readonly httpStatus: number | null;
  /** The first 200 bytes of the answer. */
  readonly bodyExcerpt: string | null;
  readonly durationMs: number;
  readonly error: string | null;
}

/** What a POST answered: its status and (up to a cap) its body. */
export interface PostAnswer {
  status: number;
  body: string;
}

/**
 * Sends one form POST with `headers` added to the gateway's own; rejects on a network
 * error or when `timeoutMs` passes.
 */
export type PostForm = (url: string, body: string, timeoutMs: number, headers?: Readonly<Record<string, string>>) => Promise<PostAnswer>;

const EXCERPT_BYTES = 200;
const MAX_READ_BYTES = 64 * 1024;
const HEADERS = { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', 'user-agent': 'latipay-gateway/notify' };

class DeliveryError extends Error {}

/**
 * A PostForm on node:http(s): a tenth of fetch's CPU per callback (fetch's web streams and
 * abort signals showed in the settle→callback profile). Never follows a redirect; reads at
 * most 64 KiB of the answer. With a `guard`, a forbidden address is never connected to:
 * an IP literal is checked before the request, a host name's addresses once resolved (the
 * guard's lookup), so what is checked is what the socket connects to.
 */
export function createPostForm(options: { guard?: OutboundGuard } = {}): PostForm {
  const { guard } = options;
  // Connections to a merchant are kept open between callbacks (a busy shop gets many). Each
  // PostForm has its own, so a socket opened without the guard is never reused with it.
  const agents = { http: new HttpAgent({ keepAlive: true, maxSockets: 64 }), https: new HttpsAgent({ keepAlive: true, maxSockets: 64 }) };
  return (url, body, timeoutMs, headers = {}) =>
    new Promise<PostAnswer>((resolve, reject) => {
      let target: URL;
      try {
        target = new URL(url);
      } catch {
        return reject(new DeliveryError('invalid callback URL'));
      }
      const secure = target.protocol === 'https:';
      if (!secure && target.protocol !== 'http:') return reject(new DeliveryError(`unsupported protocol ${target.protocol}`));
      if (guard) {
        const host = target.hostname.replace(/^\[(.*)\]$/, '$1');
        const refused = isIP(host) !== 0 ? guard.refusal(host) : undefined;
        if (refused) return reject(new ForbiddenAddressError(refused));
      }
      const payload = Buffer.from(body, 'utf8');
      const request = (secure ? httpsRequest : httpRequest)(target, {
        method: 'POST',
        agent: secure ? agents.https : agents.http,
        headers: { ...headers, ...HEADERS, 'content-length': payload.length },
        ...(guard ? { lookup: guard.lookup } : {}),
      });
      const timer = setTimeout(() => request.destroy(new DeliveryError(`timed out after ${timeoutMs} ms`)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        reject(error);
      };
      request.once('error', fail);
      request.once('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = [];
        let size = 0;
        const finish = () => {
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).subarray(0, MAX_READ_BYTES).toString('utf8') });
        };
        response.on('data', (chunk: Buffer) => {
          if (size >= MAX_READ_BYTES) return;
          chunks.push(chunk);
          size += chunk.length;
          if (size >= MAX_READ_BYTES) {
            // Enough read: the rest is not waited for, and this connection is not reused.
            response.destroy();
            finish();
          }
        });
        response.once('end', finish);
        response.once('error', fail);
      });
      request.end(payload);
    });
}

/** The PostForm without the guard (development, tests of delivery itself). */
export const postForm: PostForm = createPostForm();

/**
 * POSTs the form body to the merchant. Delivered only when the merchant answers HTTP 200
 * with the body `sent` (trimmed), as Latipay's merchants are told to.
 */
export async function deliverCallback(
  url: string,
  body: string,
  timeoutMs: number,
  post: PostForm = postForm,
  headers: Readonly<Record<string, string>> = {},
): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const answer = await post(url, body, timeoutMs, headers);
    const excerpt = Buffer.from(answer.body, 'utf8').subarray(0, EXCERPT_BYTES).toString('utf8');
    return {
      ok: answer.status === 200 && answer.body.trim() === 'sent',
      httpStatus: answer.status,
      bodyExcerpt: excerpt,
      durationMs: elapsed(),
      error: null,
    };
  } catch (error) {
    const e = error as { code?: string; message?: string };
    const reason = error instanceof DeliveryError || error instanceof ForbiddenAddressError ? error.message : (e.code ?? e.message ?? String(error));
    return { ok: false, httpStatus: null, bodyExcerpt: null, durationMs: elapsed(), error: String(reason).slice(0, 500) };
  }
}
