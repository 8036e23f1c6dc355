import http from 'node:http';
import https from 'node:https';
import type { KeyObject } from 'node:crypto';
import { ProviderError } from '../provider.js';
import { authorizationHeader, randomNonce, requestSigningMessage, signSha256Rsa } from './wechatpay-crypto.js';
import { signatureHeadersOf, type SignatureHeaders, type Verdict } from './wechatpay-verifier.js';

/**
 * The HTTP client of one WeChat Pay account: signs each request over the exact bytes it
 * sends (WECHATPAY2-SHA256-RSA2048, the signing merchant's key and certificate serial),
 * and believes an answer, success or error, only once its signature verifies. Built on
 * node:http(s), with keep-alive connections and one deadline per call.
 *
 * What it throws says what is known (ProviderError): `not_done` when the request never
 * left (no connection); `unknown` when it may have been received but no believable answer
 * came back (a timeout, a reset, an answer that does not verify). Every WeChat Pay call the
 * adapter makes may be sent again as it is (orders and refunds are idempotent by their
 * numbers), which is what the gateway does with `unknown`, or it queries.
 */

export interface WechatpayAnswer {
  readonly status: number;
  /** The parsed JSON body; undefined for an empty one (204). */
  readonly json: unknown;
  /** Error answers: WeChat Pay's code and message. */
  readonly code?: string;
  readonly message?: string;
  /** WeChat Pay's id of the request (for its support). */
  readonly requestId?: string;
}

export interface ClientOptions {
  /** `https://apihk.mch.weixin.qq.com`, or a loopback fake in tests. */
  readonly baseUrl: string;
  /** The merchant that signs: the common mode's mchid, the institution's sp_mchid. */
  readonly signer: { readonly mchid: string; readonly serialNo: string; readonly privateKey: KeyObject };
  /** Checks an answer's signature (the account's WechatpayVerifier). */
  readonly verify: (headers: SignatureHeaders, body: Buffer) => Promise<Verdict>;
  /** Connection and answer together, per call (default 10 s). */
  readonly timeoutMs?: number;
  readonly clock: () => number;
}

const MAX_ANSWER_BYTES = 1 << 20;
const USER_AGENT = `latipay-gateway (WeChatPay-APIv3; node ${process.version})`;
/** Errors that happen before a byte of the request can have reached WeChat Pay. */
const NOT_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

class CallTimeout extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = 'CallTimeout';
  }
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

export class WechatpayClient {
  readonly #options: ClientOptions;
  readonly #base: URL;
  readonly #agent: http.Agent;

  constructor(options: ClientOptions) {
    this.#options = options;
    this.#base = new URL(options.baseUrl);
    this.#agent = this.#base.protocol === 'https:' ? new https.Agent({ keepAlive: true, maxSockets: 32 }) : new http.Agent({ keepAlive: true, maxSockets: 32 });
  }

  /** Closes idle connections (the account was replaced). */
  close(): void {
    this.#agent.destroy();
  }

  /**
   * Sends one signed request and answers WeChat Pay's verified answer, whatever its status.
   * `verify` replaces the account's check (the certificate download verifies with the
   * certificates it brings).
   */
  async call(method: 'GET' | 'POST', path: string, body?: unknown, options: { verify?: ClientOptions['verify'] } = {}): Promise<WechatpayAnswer> {
    const payload = body === undefined ? Buffer.alloc(0) : Buffer.from(JSON.stringify(body), 'utf8');
    let raw: RawAnswer;
    try {
      raw = await this.#send(method, path, payload);
    } catch (error) {
      // A keep-alive connection WeChat Pay had just closed: the request never reached it, so
      // it goes once more on a new connection (sending the same request again is safe anyway).
      if (!(error instanceof StaleConnection)) throw error;
      raw = await this.#send(method, path, payload, true);
    }
    const requestId = single(raw.headers['request-id']);
    const where = `${method} ${path.split('?')[0]}${requestId ? ` (Request-ID ${requestId})` : ''}`;
    const verdict = await (options.verify ?? this.#options.verify)(signatureHeadersOf(raw.headers), raw.body);
    if (!verdict.ok) {
      throw new ProviderError('unknown', `WeChat Pay's answer to ${where} (HTTP ${raw.status}) cannot be trusted: ${verdict.reason}`, { providerCode: 'UNVERIFIED_ANSWER' });
    }
    let json: unknown;
    if (raw.body.length > 0) {
      try {
        json = JSON.parse(raw.body.toString('utf8'));
      } catch (cause) {
        throw new ProviderError('unknown', `WeChat Pay's answer to ${where} (HTTP ${raw.status}) is not JSON`, { cause });
      }
    }
    if (raw.status >= 200 && raw.status < 300) return { status: raw.status, json, requestId };
    const error = typeof json === 'object' && json !== null ? (json as { code?: unknown; message?: unknown }) : {};
    return {
      status: raw.status,
      json,
      code: typeof error.code === 'string' ? error.code : undefined,
      message: typeof error.message === 'string' ? error.message : undefined,
      requestId,
    };
  }

  #send(method: string, path: string, payload: Buffer, fresh = false): Promise<RawAnswer> {
    const { signer, clock } = this.#options;
    const timeoutMs = this.#options.timeoutMs ?? 10_000;
    const url = new URL(path, this.#base);
    const timestamp = String(Math.floor(clock() / 1000));
    const nonce = randomNonce(32);
    const signature = signSha256Rsa(requestSigningMessage(method, path, timestamp, nonce, payload), signer.privateKey);
    const headers: Record<string, string> = {
      Authorization: authorizationHeader({ mchid: signer.mchid, nonce, timestamp, serialNo: signer.serialNo, signature }),
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
    };
    if (payload.length > 0) {
      headers['Content-Type'] = 'application/json';
      headers['Content-Length'] = String(payload.length);
    }
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<RawAnswer>((resolve, reject) => {
      let connected = false;
      let answered = false;
      const req = transport.request(url, { method, headers, agent: fresh ? false : this.#agent });
      const timer = setTimeout(() => req.destroy(new CallTimeout(timeoutMs)), timeoutMs);
      const fail = (error: Error) => {
        clearTimeout(timer);
        const code = (error as NodeJS.ErrnoException).code;
        if (!answered && req.reusedSocket && !fresh && (code === 'ECONNRESET' || code === 'EPIPE')) return reject(new StaleConnection());
        if (!connected && (error instanceof CallTimeout || (code !== undefined && NOT_SENT_CODES.has(code)))) {
          return reject(new ProviderError('not_done', `could not reach WeChat Pay at ${url.origin} for ${method} ${url.pathname}: ${error.message}`, { cause: error }));
        }
        reject(new ProviderError('unknown', `no answer from WeChat Pay to ${method} ${url.pathname}: ${error.message}`, { cause: error }));
      };
      req.on('socket', (socket) => {
        if (req.reusedSocket || !socket.connecting) connected = true;
        else socket.once(url.protocol === 'https:' ? 'secureConnect' : 'connect', () => (connected = true));
      });
      req.on('error', fail);
      req.on('response', (res) => {
        answered = true;
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
        });
      });
      req.end(payload);
    });
  }
}

class StaleConnection extends Error {
  constructor() {
    super('the kept-alive connection was closed');
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}
