import { maxHeaderSize, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyInstance } from 'fastify';
import { ERROR_CODES } from '../domain/errors.js';

/**
 * Node's answer to a request it cannot parse (headers over 16 KiB, a broken request line,
 * a request that took too long to arrive), written on the raw socket before fastify sees a
 * request. Node's and fastify's own answers carry no integer `code`; clients of the Latipay
 * API parse every answer (spec §1), so this one is `{code, message}` JSON like ours. The
 * status stays a 4xx: the request never reached the application.
 */
export function answerClientError(this: FastifyInstance, error: Error & { code?: string; rawPacket?: unknown }, socket: Socket): void {
  // A reset connection has nobody left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const [status, code, message] = refusalFor(error);
  this.log.debug({ err: error, status }, 'client error');
  // Answer only when no response of this connection has started: an answer in the middle
  // of another would corrupt what the client reads.
  const inFlight = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !inFlight?.headersSent) {
    const body = JSON.stringify({ code, message });
    socket.write(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(error);
}

/** Node's limit on the request line and headers together (16 KiB unless --max-http-header-size says otherwise). */
const HEADER_LIMIT = maxHeaderSize % 1024 === 0 ? `${maxHeaderSize / 1024} KiB` : `${maxHeaderSize} bytes`;

function refusalFor(error: Error & { code?: string; rawPacket?: unknown }): [status: number, code: number, message: string] {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      if (requestLineTooLong(error.rawPacket)) return [414, ERROR_CODES.BAD_PARAMETER, `parameter is wrong: the URL is longer than ${HEADER_LIMIT}`];
      return [431, ERROR_CODES.BAD_PARAMETER, `parameter is wrong: the request headers are larger than ${HEADER_LIMIT}`];
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return [413, ERROR_CODES.BAD_PARAMETER, 'parameter is wrong: the chunk extensions are too large'];
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, ERROR_CODES.FAIL, 'the request took too long to arrive'];
    default:
      return [400, ERROR_CODES.BAD_PARAMETER, 'parameter is wrong: the request is not valid HTTP'];
  }
}

/**
 * Whether the packet Node was parsing when the limit was hit starts a request whose line
 * alone is over the limit: the URL is too long (414) rather than the headers (431). A
 * request line split over several packets is not recognised and answers 431.
 */
function requestLineTooLong(packet: unknown): boolean {
  if (!Buffer.isBuffer(packet) || !/^[A-Z]+ /.test(packet.toString('latin1', 0, 16))) return false;
  const lineEnd = packet.indexOf('\r\n');
  return lineEnd === -1 || lineEnd > maxHeaderSize;
}
