import { LatipayConnectionError, LatipayHttpError } from './errors.js';

/** The subset of `fetch` the client uses: pass your own (a proxy agent, a test double). */
export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

export interface TransportSettings {
  fetch: FetchLike;
  /** Budget of one call, retries and their pauses included. */
  timeoutMs: number;
  /** Further attempts after the first, for idempotent calls only. */
  retries: number;
  /** The first pause before a retry; each further one may be twice as long (full jitter). */
  retryDelayMs: number;
  /** The longest pause between two attempts. */
  maxRetryDelayMs: number;
  random: () => number;
}

export interface WireRequest {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  /** Sent as JSON (POST, PUT, DELETE). */
  body?: Readonly<Record<string, string>> | undefined;
  /**
   * Whether sending it twice is harmless. Only such calls are retried: a create, refund,
   * cancel or barcode call that failed on the way back may have been carried out.
   */
  idempotent: boolean;
  timeoutMs?: number | undefined;
  signal?: AbortSignal | undefined;
}

/**
 * Sends one API call and returns its JSON object. Retries idempotent calls on connection
 * errors and HTTP 5xx with exponential backoff and full jitter, within the call's time budget.
 */
export async function sendRequest(settings: TransportSettings, request: WireRequest): Promise<Record<string, unknown>> {
  const timeoutMs = request.timeoutMs ?? settings.timeoutMs;
  // Not AbortSignal.timeout(): its timer is unref'd, so a process with nothing else to do
  // would exit in the middle of a call instead of seeing it time out.
  const deadlineController = new AbortController();
  const timer = setTimeout(() => deadlineController.abort(new DOMException('timed out', 'TimeoutError')), timeoutMs);
  try {
    return await attempts(settings, request, timeoutMs, deadlineController.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function attempts(settings: TransportSettings, request: WireRequest, timeoutMs: number, deadline: AbortSignal): Promise<Record<string, unknown>> {
  const signal = request.signal ? AbortSignal.any([deadline, request.signal]) : deadline;
  const maxAttempts = request.idempotent ? 1 + Math.max(0, Math.floor(settings.retries)) : 1;
  const init: RequestInit = {
    method: request.method,
    headers:
      request.body === undefined
        ? { accept: 'application/json' }
        : { accept: 'application/json', 'content-type': 'application/json;charset=UTF-8' },
    body: request.body === undefined ? null : JSON.stringify(request.body),
    signal,
  };

  const stopped = (cause: unknown): Error => {
    // The caller's own abort is theirs to handle; our deadline is a timeout.
    if (request.signal?.aborted && !deadline.aborted) return toError(request.signal.reason);
    return new LatipayConnectionError(`${request.method} ${pathOf(request.url)} timed out after ${timeoutMs} ms`, { cause, timedOut: true });
  };

  let lastFailure: Error | undefined;
  for (let attempt = 1; ; attempt++) {
    let status: number;
    let text: string;
    try {
      const response = await settings.fetch(request.url, init);
      status = response.status;
      text = await response.text();
    } catch (error) {
      if (signal.aborted) throw stopped(lastFailure ?? error);
      lastFailure = new LatipayConnectionError(`${request.method} ${pathOf(request.url)} failed: ${describe(error)}`, {
        cause: error,
        timedOut: false,
      });
      if (attempt >= maxAttempts) throw lastFailure;
      await pause(backoffMs(settings, attempt), signal).catch((error) => {
        throw stopped(lastFailure ?? error);
      });
      continue;
    }

    if (status >= 500 && attempt < maxAttempts) {
      lastFailure = new LatipayHttpError(status, text);
      await pause(backoffMs(settings, attempt), signal).catch((error) => {
        throw stopped(lastFailure ?? error);
      });
      continue;
    }
    if (status < 200 || status > 299) throw new LatipayHttpError(status, text);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new LatipayHttpError(status, text, `the Latipay gateway answered HTTP ${status} with a body that is not JSON`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new LatipayHttpError(status, text, `the Latipay gateway answered HTTP ${status} with JSON that is not an object`);
    }
    return parsed as Record<string, unknown>;
  }
}

/** Full jitter: a random pause in [0, min(max, base × 2^(attempt-1))). */
export function backoffMs(settings: Pick<TransportSettings, 'retryDelayMs' | 'maxRetryDelayMs' | 'random'>, attempt: number): number {
  const ceiling = Math.min(settings.maxRetryDelayMs, settings.retryDelayMs * 2 ** (attempt - 1));
  return Math.floor(settings.random() * ceiling);
}

function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

function pathOf(url: string): string {
  try {
    return new URL(url).pathname;
  } catch {
    return url;
  }
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  // undici reports "fetch failed" and keeps the reason (ECONNREFUSED…) in `cause`.
  const cause = (error as { cause?: unknown }).cause;
  const detail = cause instanceof Error ? ((cause as { code?: string }).code ?? cause.message) : undefined;
  return detail ? `${error.message} (${detail})` : error.message;
}

function toError(reason: unknown): Error {
  return reason instanceof Error ? reason : new Error(String(reason));
}
