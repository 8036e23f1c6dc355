import { connect } from 'node:net';

export interface RawAnswer {
  /** The status of the first response line, or undefined when the server closed without one. */
  status: number | undefined;
  headers: Record<string, string>;
  body: string;
  /** Everything the server sent. */
  raw: string;
}

/**
 * Writes `request` (bytes exactly as given) to a fresh connection and collects what the
 * server sends until it closes the connection or `timeoutMs` passes (then the socket is
 * destroyed and whatever arrived is returned). For requests `inject` cannot make: oversized
 * headers, broken request lines, bytes no client library would send.
 */
export function rawRequest(port: number, request: string | Buffer | Array<string | Buffer>, { timeoutMs = 10_000, host = '127.0.0.1' } = {}): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host });
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => socket.destroy(), timeoutMs);
    socket.on('connect', () => {
      for (const part of Array.isArray(request) ? request : [request]) socket.write(part);
    });
    socket.on('data', (chunk) => chunks.push(chunk));
    // A server that refuses a request may reset the connection while the client is still
    // writing; what it sent before counts.
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'ECONNRESET' && error.code !== 'EPIPE') {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(parseRawAnswer(Buffer.concat(chunks).toString('utf8')));
    });
  });
}

/** Splits the first HTTP/1.1 response out of `raw`. */
export function parseRawAnswer(raw: string): RawAnswer {
  const match = /^HTTP\/1\.[01] (\d{3})[^\r\n]*\r\n/.exec(raw);
  if (!match) return { status: undefined, headers: {}, body: '', raw };
  const end = raw.indexOf('\r\n\r\n');
  const headers: Record<string, string> = {};
  for (const line of raw.slice(match[0].length, end === -1 ? raw.length : end).split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = end === -1 ? '' : raw.slice(end + 4);
  const length = Number(headers['content-length']);
  if (Number.isInteger(length)) body = Buffer.from(body, 'utf8').subarray(0, length).toString('utf8');
  return { status: Number(match[1]), headers, body, raw };
}
