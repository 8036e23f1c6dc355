/** The outcome of one POST of a callback to a merchant. */
export interface DeliveryResult {
  readonly ok: boolean;
  readonly httpStatus: number | null;
  /** The first 200 bytes of the answer. */
  readonly bodyExcerpt: string | null;
  readonly durationMs: number;
  readonly error: string | null;
}

const EXCERPT_BYTES = 200;
const MAX_READ_BYTES = 64 * 1024;

/**
 * POSTs the form body to the merchant. Delivered only when the merchant answers HTTP 200
 * with the body `sent` (trimmed), as Latipay's merchants are told to.
 */
export async function deliverCallback(url: string, body: string, timeoutMs: number, fetchImpl: typeof fetch = fetch): Promise<DeliveryResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await fetchImpl(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded;charset=UTF-8', 'user-agent': 'latipay-gateway/notify' },
      body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await readCapped(response, MAX_READ_BYTES);
    const excerpt = Buffer.from(text, 'utf8').subarray(0, EXCERPT_BYTES).toString('utf8');
    return {
      ok: response.status === 200 && text.trim() === 'sent',
      httpStatus: response.status,
      bodyExcerpt: excerpt,
      durationMs: elapsed(),
      error: null,
    };
  } catch (error) {
    const e = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
    const reason = e.name === 'TimeoutError' ? `timed out after ${timeoutMs} ms` : (e.cause?.code ?? e.cause?.message ?? e.message ?? String(error));
    return { ok: false, httpStatus: null, bodyExcerpt: null, durationMs: elapsed(), error: String(reason).slice(0, 500) };
  }
}

async function readCapped(response: Response, limit: number): Promise<string> {
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size >= limit) {
      await reader.cancel();
      break;
    }
  }
  return Buffer.concat(chunks).subarray(0, limit).toString('utf8');
}
