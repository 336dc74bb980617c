// Webhook signatures: Standard Webhooks (https://www.standardwebhooks.com) plus a legacy scheme.
import { createHmac, randomBytes } from 'node:crypto';

export const SECRET_PREFIX = 'whsec_';
/** Random bytes in a generated secret (Standard Webhooks asks for 24–64). */
export const SECRET_BYTES = 32;
export const WEBHOOK_USER_AGENT = 'LMS-Webhooks/1';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * The HMAC key of a Standard Webhooks secret. Like the reference `standardwebhooks` library, the `whsec_`
 * prefix is optional and the rest is always standard (padded) base64 — a secret without the prefix is NOT
 * used as raw UTF-8 bytes. Throws on malformed or empty secrets rather than signing with a surprising key.
 */
export function secretKey(secret: string): Buffer {
  const b64 = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  if (b64 === '' || !BASE64.test(b64)) throw new Error('webhook secret must be "whsec_" + base64');
  return Buffer.from(b64, 'base64');
}

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(SECRET_BYTES).toString('base64');
}

/** `webhook-signature` value: "v1,<base64 HMAC-SHA256(key, id.ts.body)>" per secret, space-separated. */
export function standardSignature(secrets: string[], msgId: string, timestampSec: number, body: string): string {
  if (secrets.length === 0) throw new Error('at least one webhook secret is required');
  const content = `${msgId}.${timestampSec}.${body}`;
  return secrets
    .map((s) => `v1,${createHmac('sha256', secretKey(s)).update(content, 'utf8').digest('base64')}`)
    .join(' ');
}

/**
 * Legacy (reference) `X-Webhook-Signature`: "sha256=<hex HMAC-SHA256(secret as UTF-8, "<timestamp>.<body>")>",
 * where timestamp is the X-Webhook-Timestamp value (the body's ISO `timestamp`).
 */
export function legacySignature(secret: string, timestamp: string | number, body: string): string {
  return `sha256=${createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${timestamp}.${body}`, 'utf8').digest('hex')}`;
}

export interface WebhookHeaderInput {
  msgId: string;
  timestampSec: number;
  body: string;
  event: string;
  /** Active secrets (during rotation: the new and the old one); none: no `webhook-signature`. */
  secrets: string[];
  /**
   * X-Webhook-Timestamp as the reference sends it: the body's `timestamp` (ISO-8601, stable across
   * retries; the legacy signature covers it). Default: timestampSec.
   */
  legacyTimestamp?: string;
  /** When set, also send the legacy `X-Webhook-Signature`. */
  legacySecret?: string;
}

export function buildWebhookHeaders(input: WebhookHeaderInput): Record<string, string> {
  if (!Number.isSafeInteger(input.timestampSec)) throw new Error('timestampSec must be an integer');
  const ts = String(input.timestampSec);
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': WEBHOOK_USER_AGENT,
    'webhook-id': input.msgId,
    'webhook-timestamp': ts,
    'X-Webhook-Event': input.event,
    'X-Webhook-Timestamp': input.legacyTimestamp ?? ts,
  };
  if (input.secrets.length > 0) {
    headers['webhook-signature'] = standardSignature(input.secrets, input.msgId, input.timestampSec, input.body);
  }
  if (input.legacySecret !== undefined) {
    headers['X-Webhook-Signature'] = legacySignature(input.legacySecret, input.legacyTimestamp ?? ts, input.body);
  }
  return headers;
}
