// One webhook delivery attempt over HTTP(S): no redirects, an overall deadline, a bounded response read.
import { request, type Dispatcher } from 'undici';
import { ADDRESS_FORBIDDEN_CODE } from './pinned-agent.js';

/** Response bytes read at most; the rest is not read (the connection is then closed). */
export const MAX_RESPONSE_BYTES = 64 * 1024;
/** The excerpt of the response body kept with the attempt, in code points. */
export const MAX_EXCERPT_CHARS = 1024;
/** Non-HTTP error messages are cut to this many characters. */
const MAX_ERROR_CHARS = 500;

export type DeliveryError =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'address_forbidden'
  | 'unresolvable'
  | 'redirect_not_followed'
  | (string & {});

export interface DeliveryOutcome {
  /** 2xx only. */
  ok: boolean;
  /** HTTP status, null when no response head was received. */
  status: number | null;
  durationMs: number;
  /** Start of the response body (UTF-8, invalid bytes and NUL replaced by U+FFFD), null without a response. */
  excerpt: string | null;
  /** Why the attempt failed without a usable response (or 'redirect_not_followed' for 3xx). */
  error?: DeliveryError;
  /** 410 Gone: the receiver asks us to stop (disable the endpoint). */
  gone: boolean;
}

export interface SendWebhookInput {
  url: string | URL;
  headers: Record<string, string>;
  body: string;
  /** Deadline for the whole attempt: connect, response head and the (bounded) body read. */
  timeoutMs: number;
  /** Normally a pinned agent (createPinnedAgent); undici never follows redirects for `request`. */
  dispatcher: Dispatcher;
}

function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  const visit = (e: unknown, depth: number): void => {
    if (e === null || typeof e !== 'object' || depth > 4) return;
    const { code, cause, errors } = e as { code?: unknown; cause?: unknown; errors?: unknown };
    if (typeof code === 'string') codes.push(code);
    visit(cause, depth + 1);
    if (Array.isArray(errors)) for (const inner of errors) visit(inner, depth + 1);
  };
  visit(err, 0);
  return codes;
}

function classifyError(err: unknown, timedOut: boolean): DeliveryError {
  const codes = errorCodes(err);
  if (codes.includes(ADDRESS_FORBIDDEN_CODE)) return 'address_forbidden';
  if (timedOut) return 'timeout';
  if (
    codes.some((c) =>
      ['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT'].includes(c),
    )
  ) {
    return 'timeout';
  }
  if (codes.includes('ECONNREFUSED')) return 'connection_refused';
  if (codes.includes('ENOTFOUND') || codes.includes('EAI_AGAIN') || codes.includes('EAI_NODATA')) return 'unresolvable';
  if (codes.includes('ECONNRESET') || codes.includes('UND_ERR_SOCKET') || codes.includes('EPIPE')) {
    return 'connection_reset';
  }
  const message = err instanceof Error ? err.message : String(err);
  return [...(message || 'unknown error')].slice(0, MAX_ERROR_CHARS).join('');
}

function excerptOf(chunks: Buffer[]): string {
  // A code point takes at most 4 bytes: decoding this many bytes is enough for MAX_EXCERPT_CHARS.
  const bytes = Buffer.concat(chunks).subarray(0, MAX_EXCERPT_CHARS * 4);
  const text = [...bytes.toString('utf8')].slice(0, MAX_EXCERPT_CHARS).join('');
  return text.replaceAll('\u0000', '\uFFFD'); // PostgreSQL text cannot hold NUL
}

/** Sends one attempt. Never throws for network/HTTP failures: they are reported in the outcome. */
export async function sendWebhook(input: SendWebhookInput): Promise<DeliveryOutcome> {
  const started = performance.now();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, input.timeoutMs);
  let status: number | null = null;
  const chunks: Buffer[] = [];
  let error: DeliveryError | undefined;
  try {
    const res = await request(input.url, {
      method: 'POST',
      headers: input.headers,
      body: input.body,
      dispatcher: input.dispatcher,
      signal: controller.signal,
      headersTimeout: input.timeoutMs,
      bodyTimeout: input.timeoutMs,
    });
    status = res.statusCode;
    let read = 0;
    for await (const chunk of res.body) {
      const buf = chunk as Buffer;
      const room = MAX_RESPONSE_BYTES - read;
      chunks.push(buf.length > room ? buf.subarray(0, room) : buf);
      read += Math.min(buf.length, room);
      if (read >= MAX_RESPONSE_BYTES) break; // leaving the loop destroys the body (and its connection)
    }
  } catch (err) {
    error = classifyError(err, timedOut);
  } finally {
    clearTimeout(timer);
  }
  const durationMs = Math.round(performance.now() - started);
  const ok = error === undefined && status !== null && status >= 200 && status < 300;
  if (error === undefined && status !== null && status >= 300 && status < 400) error = 'redirect_not_followed';
  return {
    ok,
    status,
    durationMs,
    excerpt: status === null ? null : excerptOf(chunks),
    ...(error === undefined ? {} : { error }),
    gone: status === 410,
  };
}
