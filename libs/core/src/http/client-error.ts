import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import { PROBLEM_CONTENT_TYPE, problemBody, titleForStatus } from './problem.js';
import { REQUEST_ID_HEADER } from './request-id.js';
import { SECURITY_HEADERS } from './security-headers.js';

/** Node's `clientError` error (Fastify's ConnectionError; rawPacket is the Buffer the parser saw). */
interface ClientError extends Error {
  code: string;
  rawPacket?: unknown;
}

/** What Node's HTTP parser errors map to (Fastify's default handler answers these as plain JSON). */
function classify(err: ClientError): { status: number; code: string; detail: string } {
  switch (err.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        code: 'request_header_fields_too_large',
        detail: 'The request line or headers are too large',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
    case 'ERR_HTTP_HEADERS_TIMEOUT':
      return { status: 408, code: 'request_timeout', detail: 'The request took too long to arrive' };
    case 'HPE_URI_TOO_LONG':
      return { status: 414, code: 'uri_too_long', detail: 'The request URL is too long' };
    default:
      return { status: 400, code: 'bad_request', detail: 'The request is not valid HTTP' };
  }
}

/** The path of the request line in the bytes the parser saw, when it got that far ('/' otherwise). */
function instanceOf(err: ClientError): string {
  const head = Buffer.isBuffer(err.rawPacket) ? err.rawPacket.subarray(0, 2048).toString('latin1') : '';
  const match = /^[A-Z]+ (\/[^\s?]{0,256})/.exec(head);
  return match ? match[1] : '/';
}

/**
 * Fastify `clientErrorHandler`: requests Node's HTTP parser refuses (headers or URL over
 * `maxHeaderSize` → 431, malformed HTTP → 400, timeouts → 408) never reach Fastify's routing, so
 * they are answered here, on the socket, as problem+json like every other error.
 */
export function problemClientErrorHandler(err: ClientError, socket: Socket): void {
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const { status, code, detail } = classify(err);
    const requestId = randomUUID();
    const body = JSON.stringify(problemBody(status, code, detail, { instance: instanceOf(err), requestId }));
    const headers = [
      `HTTP/1.1 ${status} ${titleForStatus(status)}`,
      `Content-Type: ${PROBLEM_CONTENT_TYPE}`,
      `Content-Length: ${Buffer.byteLength(body)}`,
      `${REQUEST_ID_HEADER}: ${requestId}`,
      ...SECURITY_HEADERS.map(([name, value]) => `${name}: ${value}`),
      'Connection: close',
    ];
    socket.write(`${headers.join('\r\n')}\r\n\r\n${body}`);
  }
  socket.destroy(err);
}
