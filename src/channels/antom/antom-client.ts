import http from 'node:http';
import https from 'node:https';
import { ProviderError } from '../provider.js';
import type { AntomCredentials } from './antom-account.js';
import { describeResult, resultOf, UNSIGNED_REFUSALS, type AntomResult } from './antom-results.js';
import { parseSignatureHeader, signatureHeaderOf, signContent, signingContent, verifyContent } from './antom-signature.js';

export type AntomEndpoint = 'pay' | 'inquiryPayment' | 'cancel' | 'refund' | 'inquiryRefund';

/** A verified answer: Antom signed exactly these bytes. */
export interface AntomAnswer {
  readonly result: AntomResult;
  readonly body: Record<string, unknown>;
}

export interface AntomClientOptions {
  /** How long one call may take, connection to last byte (default 10 s). */
  readonly timeoutMs?: number;
  /** The clock that stamps Request-Time (epoch ms). */
  readonly clock?: () => number;
}

const MAX_ANSWER_BYTES = 1 << 20;
/** Errors that mean the request never reached the server: nothing can have been done. */
const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'ERR_INVALID_URL']);

/**
 * Antom's HTTP API for one account: every request is signed over the exact bytes sent, every
 * answer is verified over the exact bytes received before anything in it is read. An answer
 * that cannot be verified is never trusted: the call fails `unknown` (the request may have
 * taken effect), except the authentication refusals Antom sends unsigned, which it sends
 * before doing anything (`misconfigured`, or `not_done` for PARAM_ILLEGAL).
 */
export class AntomClient {
  readonly #credentials: AntomCredentials;
  readonly #timeoutMs: number;
  readonly #clock: () => number;

  constructor(credentials: AntomCredentials, options: AntomClientOptions = {}) {
    this.#credentials = credentials;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#clock = options.clock ?? Date.now;
  }

  /**
   * The path of an endpoint. Sandbox accounts send online payments to `/ams/sandbox/api/…`; in-store
   * payments keep `/ams/api/…` (Antom's "Environment" table). The path requested is the path signed.
   */
  pathOf(endpoint: AntomEndpoint, inStore = false): string {
    const sandbox = this.#credentials.sandbox && !inStore;
    return `/ams/${sandbox ? 'sandbox/' : ''}api/v1/payments/${endpoint}`;
  }

  /** POSTs `body` to `endpoint`, signed; answers the verified result, or throws ProviderError. */
  async call(endpoint: AntomEndpoint, body: Record<string, unknown>, options: { inStore?: boolean } = {}): Promise<AntomAnswer> {
    const { clientId, keyVersion, privateKey } = this.#credentials;
    const path = this.pathOf(endpoint, options.inStore);
    // Serialised once: these bytes are signed and these bytes are sent.
    const bytes = Buffer.from(JSON.stringify(body), 'utf8');
    const requestTime = String(this.#clock());
    const signature = signContent(signingContent('POST', path, clientId, requestTime, bytes), privateKey);
    const headers = {
      'content-type': 'application/json; charset=UTF-8',
      'client-id': clientId,
      'request-time': requestTime,
      signature: signatureHeaderOf(keyVersion, signature),
      'content-length': String(bytes.length),
    };
    const response = await this.#post(endpoint, path, headers, bytes);
    return this.#verified(endpoint, path, response);
  }

  #post(endpoint: AntomEndpoint, path: string, headers: Record<string, string>, bytes: Buffer): Promise<RawAnswer> {
    const url = new URL(path, `${this.#credentials.baseUrl}/`);
    const transport = url.protocol === 'https:' ? https : http;
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const fail = (error: ProviderError) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        request.destroy();
        reject(error);
      };
      // A new connection per call (agent: false): no kept-alive socket closed under a request, which would look like a lost answer.
      const request = transport.request(url, { method: 'POST', headers, agent: false }, (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) fail(new ProviderError('unknown', `Antom ${endpoint}: the answer is larger than ${MAX_ANSWER_BYTES} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks) });
        });
        response.on('error', (error) => fail(new ProviderError('unknown', `Antom ${endpoint}: the answer broke off`, { cause: error })));
      });
      const timer = setTimeout(() => fail(new ProviderError('unknown', `Antom ${endpoint}: no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
      request.on('error', (error: NodeJS.ErrnoException) => {
        const code = error.code ?? '';
        const outcome = NOT_SENT.has(code) ? 'not_done' : 'unknown';
        fail(new ProviderError(outcome, `Antom ${endpoint}: ${outcome === 'not_done' ? 'could not connect' : 'the connection failed'} (${code || error.message})`, { cause: error }));
      });
      request.end(bytes);
    });
  }

  #verified(endpoint: AntomEndpoint, path: string, answer: RawAnswer): AntomAnswer {
    const operation = `Antom ${endpoint}`;
    let parsed: unknown;
    try {
      parsed = JSON.parse(answer.body.toString('utf8'));
    } catch {
      parsed = undefined;
    }
    const result = resultOf(parsed);
    const signatureHeader = header(answer.headers, 'signature');
    if (signatureHeader === undefined) {
      // Unsigned: only a refusal at the door (nothing was done) is taken as what it says.
      if (answer.status === 404 || answer.status === 405) {
        throw new ProviderError('misconfigured', `${operation}: HTTP ${answer.status} at ${path}; is the base URL right?`, { providerCode: result?.resultCode });
      }
      if (answer.status === 200 && result?.resultStatus === 'F' && UNSIGNED_REFUSALS.has(result.resultCode)) {
        const outcome = result.resultCode === 'PARAM_ILLEGAL' ? 'not_done' : 'misconfigured';
        throw new ProviderError(outcome, `${operation}: refused ${describeResult(result)}`, { providerCode: result.resultCode });
      }
      throw new ProviderError('unknown', `${operation}: an unsigned answer (HTTP ${answer.status}) is not trusted`);
    }
    const clientId = header(answer.headers, 'client-id');
    const responseTime = header(answer.headers, 'response-time');
    const parsedHeader = parseSignatureHeader(signatureHeader);
    const { credentials } = this;
    const authentic =
      parsedHeader !== null &&
      parsedHeader.algorithm === 'RSA256' &&
      (parsedHeader.keyVersion === undefined || parsedHeader.keyVersion === credentials.keyVersion) &&
      clientId === credentials.clientId &&
      responseTime !== undefined &&
      verifyContent(signingContent('POST', path, clientId, responseTime, answer.body), parsedHeader.signature, credentials.antomPublicKey);
    if (!authentic) throw new ProviderError('unknown', `${operation}: the answer's signature does not verify with the Antom public key; it is not trusted`);
    if (answer.status !== 200) throw new ProviderError('unknown', `${operation}: HTTP ${answer.status}${result ? ` ${describeResult(result)}` : ''}`, { providerCode: result?.resultCode });
    if (!result) throw new ProviderError('unknown', `${operation}: the answer has no result`);
    return { result, body: parsed as Record<string, unknown> };
  }

  get credentials(): AntomCredentials {
    return this.#credentials;
  }
}

interface RawAnswer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

function header(headers: http.IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
