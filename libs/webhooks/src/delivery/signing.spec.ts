import { createHmac } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  buildWebhookHeaders,
  generateWebhookSecret,
  legacySignature,
  secretKey,
  standardSignature,
  WEBHOOK_USER_AGENT,
} from './signing.js';

const body = JSON.stringify({ type: 'enrollment.created', data: { id: 'e1', name: 'Zoë ✓' } });
const now = () => Math.floor(Date.now() / 1000);

describe('webhook signing', () => {
  it('generates whsec_ secrets of 32 random bytes', () => {
    const a = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(secretKey(a)).toHaveLength(32);
    expect(generateWebhookSecret()).not.toBe(a);
  });

  it('is verified by the standardwebhooks library (one secret)', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({
      msgId: 'msg_1',
      timestampSec: now(),
      body,
      event: 'enrollment.created',
      secrets: [secret],
    });
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow('No matching signature');
    expect(() => new Webhook(secret).verify(body + ' ', headers)).toThrow('No matching signature');
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
  });

  it('signs with every secret during rotation; a verifier with either one passes', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = buildWebhookHeaders({
      msgId: 'msg_rot',
      timestampSec: now(),
      body,
      event: 'x',
      secrets: [newSecret, oldSecret],
    });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(new Webhook(oldSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(newSecret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('treats a secret without the prefix like the standardwebhooks library does (base64, not raw bytes)', () => {
    const bare = generateWebhookSecret().slice('whsec_'.length);
    const ts = now();
    const sig = standardSignature([bare], 'msg_b', ts, body);
    expect(sig).toBe(standardSignature([`whsec_${bare}`], 'msg_b', ts, body));
    expect(
      new Webhook(bare).verify(body, {
        'webhook-id': 'msg_b',
        'webhook-timestamp': String(ts),
        'webhook-signature': sig,
      }),
    ).toEqual(JSON.parse(body));
  });

  it('matches an independent HMAC computation and the Standard Webhooks example', () => {
    // Example from the Standard Webhooks specification test vectors.
    const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
    const payload = '{"test": 2432232314}';
    expect(standardSignature([secret], 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, payload)).toBe(
      'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
    );
    const key = Buffer.from('MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', 'base64');
    const expected = createHmac('sha256', key).update(`id.1.${body}`).digest('base64');
    expect(standardSignature([secret], 'id', 1, body)).toBe(`v1,${expected}`);
  });

  it('refuses malformed secrets instead of signing with a surprising key', () => {
    expect(() => standardSignature(['whsec_'], 'id', 1, body)).toThrow();
    expect(() => standardSignature(['not base64!'], 'id', 1, body)).toThrow();
    expect(() => standardSignature(['whsec_abc'], 'id', 1, body)).toThrow(); // unpadded: the library refuses it too
    expect(() => new Webhook('whsec_abc')).toThrow();
    expect(() => standardSignature([], 'id', 1, body)).toThrow();
  });

  it('computes the legacy signature as hex HMAC-SHA256(secret, "<ts>.<body>")', () => {
    const secret = 'legacy-secret-ünicode';
    const expected = createHmac('sha256', Buffer.from(secret, 'utf8'))
      .update(`1700000000.${body}`, 'utf8')
      .digest('hex');
    expect(legacySignature(secret, 1700000000, body)).toBe(`sha256=${expected}`);
  });

  it('builds the delivery headers', () => {
    const secret = generateWebhookSecret();
    const headers = buildWebhookHeaders({
      msgId: 'msg_h',
      timestampSec: 1700000000,
      body,
      event: 'course.published',
      secrets: [secret],
      legacySecret: 'legacy',
    });
    expect(headers).toEqual({
      'content-type': 'application/json',
      'user-agent': WEBHOOK_USER_AGENT,
      'webhook-id': 'msg_h',
      'webhook-timestamp': '1700000000',
      'webhook-signature': standardSignature([secret], 'msg_h', 1700000000, body),
      'X-Webhook-Event': 'course.published',
      'X-Webhook-Timestamp': '1700000000',
      'X-Webhook-Signature': legacySignature('legacy', 1700000000, body),
    });
    expect(WEBHOOK_USER_AGENT).toBe('LMS-Webhooks/1');
    const without = buildWebhookHeaders({ msgId: 'm', timestampSec: 1, body, event: 'e', secrets: [secret] });
    expect(without).not.toHaveProperty('X-Webhook-Signature');
  });
});
