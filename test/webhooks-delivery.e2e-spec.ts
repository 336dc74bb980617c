// Webhook delivery against a real HTTP receiver on 127.0.0.1: both signature schemes checked by
// independent implementations (the `standardwebhooks` package, a plain HMAC), the retry schedule
// and its jitter bounds on a ManualClock, 410, redirects, timeouts, the N-day disable, secret
// rotation, SSRF at connect time (DNS rebinding), and, with workers running, events reaching
// endpoints end to end with a dead endpoint not holding up the others.
import { createHmac, randomUUID } from 'node:crypto';
import { Global, Module } from '@nestjs/common';
import { Webhook } from 'standardwebhooks';
import { DataSource } from 'typeorm';
import { OutboxService, type OutboxEventPayloads, type OutboxEventType } from '#core';
import { ManualClock, callApi, createActor, createTestApp, type TestActor, type TestApp } from '#testing';
import {
  RETRY_DELAYS_MS,
  WEBHOOK_RESOLVER,
  WebhookDispatcher,
  WebhookSecrets,
  checkWebhookUrl,
  envEndpointId,
  generateWebhookSecret,
  type LookupFn,
} from '#webhooks';
import { until } from './queue-test-utils.js';
import { WebhookReceiver } from './webhook-receiver.js';

const COURSE_EVENT: OutboxEventPayloads['course.published'] = {
  course_id: '11111111-1111-4111-8111-111111111111',
  instructor_id: '22222222-2222-4222-8222-222222222222',
  published_at: '2026-12-01T10:00:00.000Z',
};

async function record<E extends OutboxEventType>(
  t: TestApp,
  type: E,
  payload: OutboxEventPayloads[E],
): Promise<string> {
  return t.app.get(DataSource).transaction((m) => t.app.get(OutboxService).record(m, type, payload));
}

async function addEndpoint(
  t: TestApp,
  url: string,
  opts: { events?: string[]; secret?: string } = {},
): Promise<{ id: string; secret: string }> {
  const id = randomUUID();
  const secret = opts.secret ?? generateWebhookSecret();
  await t.db.query(
    `INSERT INTO webhook_endpoints (id, source, url, events, is_active, secret_sealed)
     VALUES ($1, 'managed', $2, $3::jsonb, true, $4)`,
    [id, url, JSON.stringify(opts.events ?? ['*']), t.app.get(WebhookSecrets).seal(secret, id)],
  );
  return { id, secret };
}

type Row = Record<string, unknown>;
const deliveryOf = async (t: TestApp, endpointId: string): Promise<Row> =>
  (await t.db.query('SELECT * FROM webhook_deliveries WHERE endpoint_id = $1', [endpointId]))[0]!;
const endpointRow = async (t: TestApp, id: string): Promise<Row> =>
  (await t.db.query('SELECT * FROM webhook_endpoints WHERE id = $1', [id]))[0]!;

/** Resolver injection (DNS rebinding): the names below resolve as the test says. */
const resolutions = new Map<string, string[][]>();
const testResolver: LookupFn = async (hostname) => {
  const queue = resolutions.get(hostname);
  const next = queue && queue.length > 1 ? queue.shift()! : (queue?.[0] ?? []);
  return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
@Global()
@Module({ providers: [{ provide: WEBHOOK_RESOLVER, useValue: testResolver }], exports: [WEBHOOK_RESOLVER] })
class TestResolverModule {}

describe('webhook delivery (engine, ManualClock, no workers)', () => {
  let t: TestApp;
  let dispatcher: WebhookDispatcher;
  let receiver: WebhookReceiver;
  const clock = new ManualClock();

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await createTestApp({
      workers: false,
      clock,
      env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOK_TIMEOUT_SECONDS: '1' },
    });
    dispatcher = t.app.get(WebhookDispatcher);
    await createActor(t, 'admin', 'wh');
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });

  /** Fans `course.published` out and runs the first attempt of the endpoint's delivery. */
  async function deliverOnce(endpoint: { id: string }): Promise<Row> {
    const eventId = await record(t, 'course.published', COURSE_EVENT);
    await dispatcher.fanOut(eventId);
    const d = (
      await t.db.query('SELECT id FROM webhook_deliveries WHERE endpoint_id = $1 AND event_id = $2', [
        endpoint.id,
        eventId,
      ])
    )[0] as { id: string };
    await dispatcher.attempt(d.id, endpoint.id);
    return (await t.db.query('SELECT * FROM webhook_deliveries WHERE id = $1', [d.id]))[0]!;
  }

  it('signs with both schemes, verifiable independently; the body is the reference shape; one attempt recorded', async () => {
    const ep = await addEndpoint(t, receiver.url('/ok'), { events: ['course.published'] });
    const d = await deliverOnce(ep);
    const [req] = await receiver.waitFor('/ok');
    expect(JSON.parse(req!.body)).toEqual({
      event: 'course.published',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00$/),
      data: COURSE_EVENT,
    });
    expect(req!.body).not.toMatch(/\s/); // compact JSON
    // Standard Webhooks, checked by the reference library.
    expect(() => new Webhook(ep.secret).verify(req!.body, req!.headers as Record<string, string>)).not.toThrow();
    expect(req!.headers['webhook-id']).toBe(`msg_${d.id as string}`);
    // The reference's headers: X-Webhook-Timestamp is the body's timestamp, signed with the body.
    const ts = req!.headers['x-webhook-timestamp'] as string;
    expect(ts).toBe(JSON.parse(req!.body).timestamp);
    expect(req!.headers['x-webhook-event']).toBe('course.published');
    const hmac = createHmac('sha256', ep.secret).update(`${ts}.${req!.body}`).digest('hex');
    expect(req!.headers['x-webhook-signature']).toBe(`sha256=${hmac}`);
    expect(d).toMatchObject({ status: 'succeeded', attempts: 1, last_status_code: 200, next_attempt_at: null });
    const attempts = await t.db.query('SELECT * FROM webhook_delivery_attempts WHERE delivery_id = $1', [d.id]);
    expect(attempts).toHaveLength(1);
    // A second fan-out of the same event (redelivered job) creates nothing new.
    expect((await endpointRow(t, ep.id)).last_success_at).toBeInstanceOf(Date);
  });

  it('fans out once per endpoint and event, only to active endpoints subscribed to it', async () => {
    const all = await addEndpoint(t, receiver.url('/all'));
    const other = await addEndpoint(t, receiver.url('/other'), { events: ['quiz.graded'] });
    const off = await addEndpoint(t, receiver.url('/off'));
    await t.db.query('UPDATE webhook_endpoints SET is_active = false WHERE id = $1', [off.id]);
    const eventId = await record(t, 'course.published', COURSE_EVENT);
    await dispatcher.fanOut(eventId);
    await dispatcher.fanOut(eventId);
    const rows = await t.db.query<{ endpoint_id: string }>(
      'SELECT endpoint_id FROM webhook_deliveries WHERE event_id = $1',
      [eventId],
    );
    const ids = rows.map((r) => r.endpoint_id);
    expect(ids.filter((id) => id === all.id)).toHaveLength(1);
    expect(ids).not.toContain(other.id);
    expect(ids).not.toContain(off.id);
  });

  it('retries on the schedule with jitter in [base/2, base], then fails for good; a success clears failing_since', async () => {
    receiver.on('/flaky', { status: 500, body: 'boom' });
    const ep = await addEndpoint(t, receiver.url('/flaky'));
    let d = await deliverOnce(ep);
    for (let attempt = 1; attempt <= RETRY_DELAYS_MS.length; attempt += 1) {
      const base = RETRY_DELAYS_MS[attempt - 1]!;
      expect(d).toMatchObject({
        status: 'pending',
        attempts: attempt,
        last_status_code: 500,
        last_response_excerpt: 'boom',
      });
      const wait = new Date(d.next_attempt_at as Date).getTime() - clock.now().getTime();
      expect(wait).toBeGreaterThanOrEqual(base / 2);
      expect(wait).toBeLessThanOrEqual(base);
      clock.advance(wait);
      await dispatcher.attempt(d.id as string, ep.id);
      d = (await t.db.query('SELECT * FROM webhook_deliveries WHERE id = $1', [d.id]))[0]!;
    }
    expect(d).toMatchObject({ status: 'failed', attempts: RETRY_DELAYS_MS.length + 1, next_attempt_at: null });
    expect(receiver.at('/flaky')).toHaveLength(RETRY_DELAYS_MS.length + 1);
    // Every attempt carried the same webhook-id (a receiver can deduplicate).
    expect(new Set(receiver.at('/flaky').map((r) => r.headers['webhook-id']))).toEqual(
      new Set([`msg_${d.id as string}`]),
    );
    expect((await endpointRow(t, ep.id)).failing_since).toBeInstanceOf(Date);
    receiver.on('/flaky', { status: 204 });
    const ok = await deliverOnce(ep);
    expect(ok.status).toBe('succeeded');
    expect((await endpointRow(t, ep.id)).failing_since).toBeNull();
  });

  it('410 Gone disables the endpoint at once and tells the admins; later deliveries fail without a request', async () => {
    receiver.on('/gone', { status: 410 });
    const ep = await addEndpoint(t, receiver.url('/gone'));
    const d = await deliverOnce(ep);
    expect(d).toMatchObject({ status: 'failed', attempts: 1, last_status_code: 410, next_attempt_at: null });
    expect(await endpointRow(t, ep.id)).toMatchObject({
      is_active: false,
      disabled_reason: 'The endpoint answered 410 Gone',
    });
    const mails = await t.db.query(
      "SELECT payload FROM outbox_events WHERE event_type = 'email.requested' AND payload->>'text' LIKE $1",
      [`%${ep.id}%`],
    );
    expect(mails.length).toBeGreaterThanOrEqual(1);
    // A delivery already pending for it fails without sending.
    const eventId = randomUUID();
    await t.db.query(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, event_timestamp) VALUES ($1, $2, 'x', '{}', 'now')`,
      [ep.id, eventId],
    );
    const [pending] = await t.db.query<{ id: string }>('SELECT id FROM webhook_deliveries WHERE event_id = $1', [
      eventId,
    ]);
    expect((await dispatcher.attempt(pending!.id, ep.id)).state).toBe('endpoint_disabled');
    expect(receiver.at('/gone')).toHaveLength(1);
  });

  it('never follows a redirect (the target is never hit) and times out a receiver that does not answer', async () => {
    receiver.on('/redirect', { status: 302, location: receiver.url('/redirect-target') });
    const redirected = await deliverOnce(await addEndpoint(t, receiver.url('/redirect')));
    expect(redirected).toMatchObject({ status: 'pending', last_status_code: 302, last_error: 'redirect_not_followed' });
    expect(receiver.at('/redirect-target')).toHaveLength(0);

    receiver.on('/hang', { hang: true });
    const hangEndpoint = await addEndpoint(t, receiver.url('/hang'));
    const hung = await deliverOnce(hangEndpoint);
    expect(hung).toMatchObject({ status: 'pending', last_status_code: null, last_error: 'timeout' });
    expect(hung.last_duration_ms as number).toBeGreaterThanOrEqual(900);
    expect(hung.last_duration_ms as number).toBeLessThan(5000);
    // A busy endpoint's deliveries wait about twice its attempt time (within [0.75, 1.25] of that, at
    // most the 1 s timeout): a black hole's about the timeout, a fast endpoint's a few tens of ms.
    expect(dispatcher.busyDelay(hangEndpoint.id)).toBeGreaterThanOrEqual(750);
    expect(dispatcher.busyDelay(hangEndpoint.id)).toBeLessThanOrEqual(1250);
    const fast = await addEndpoint(t, receiver.url('/fast'));
    await deliverOnce(fast);
    expect(dispatcher.busyDelay(fast.id)).toBeLessThan(300);
  });

  it(`disables an endpoint whose every attempt failed for WEBHOOK_DISABLE_AFTER_DAYS (5) days, and emails the admins`, async () => {
    receiver.on('/down', { status: 503 });
    const ep = await addEndpoint(t, receiver.url('/down'));
    await deliverOnce(ep);
    const since = (await endpointRow(t, ep.id)).failing_since as Date;
    clock.advance(4 * 86_400_000);
    await deliverOnce(ep);
    expect((await endpointRow(t, ep.id)).is_active).toBe(true);
    clock.advance(86_400_000);
    await deliverOnce(ep);
    const row = await endpointRow(t, ep.id);
    expect(row).toMatchObject({ is_active: false, disabled_reason: 'Every attempt failed for 5 days' });
    expect((row.failing_since as Date).getTime()).toBe(since.getTime());
    const mails = await t.db.query(
      "SELECT payload FROM outbox_events WHERE event_type = 'email.requested' AND payload->>'text' LIKE $1",
      [`%${ep.id}%`],
    );
    expect(mails).toHaveLength(1);
    clock.set(new Date());
  });

  it('signs with the old and the new secret during a rotation (each verifies), then with the new one only', async () => {
    const ep = await addEndpoint(t, receiver.url('/rotated'));
    const next = generateWebhookSecret();
    const secrets = t.app.get(WebhookSecrets);
    await t.db.query(
      `UPDATE webhook_endpoints SET secret_sealed = $2, previous_secret_sealed = $3, previous_secret_expires_at = $4 WHERE id = $1`,
      [ep.id, secrets.seal(next, ep.id), secrets.seal(ep.secret, ep.id), new Date(clock.now().getTime() + 86_400_000)],
    );
    await deliverOnce(ep);
    const [during] = await receiver.waitFor('/rotated');
    expect((during!.headers['webhook-signature'] as string).split(' ')).toHaveLength(2);
    for (const s of [ep.secret, next]) {
      expect(() => new Webhook(s).verify(during!.body, during!.headers as Record<string, string>)).not.toThrow();
    }
    await t.db.query('UPDATE webhook_endpoints SET previous_secret_expires_at = $2 WHERE id = $1', [
      ep.id,
      new Date(clock.now().getTime() - 1),
    ]);
    await deliverOnce(ep);
    const after = (await receiver.waitFor('/rotated', 2))[1]!;
    expect((after.headers['webhook-signature'] as string).split(' ')).toHaveLength(1);
    expect(() => new Webhook(ep.secret).verify(after.body, after.headers as Record<string, string>)).toThrow();
  });

  it('a claimed delivery is not sent twice at once; a claim left by a dead sender runs out', async () => {
    const ep = await addEndpoint(t, receiver.url('/claimed'));
    const eventId = await record(t, 'course.published', COURSE_EVENT);
    await dispatcher.fanOut(eventId);
    const [d] = await t.db.query<{ id: string }>(
      'SELECT id FROM webhook_deliveries WHERE event_id = $1 AND endpoint_id = $2',
      [eventId, ep.id],
    );
    // A sender that died mid-attempt left its claim.
    await t.db.query('UPDATE webhook_deliveries SET claimed_until = $2 WHERE id = $1', [
      d!.id,
      new Date(clock.now().getTime() + 60_000),
    ]);
    expect((await dispatcher.attempt(d!.id, ep.id)).state).toBe('claimed');
    expect(receiver.at('/claimed')).toHaveLength(0);
    clock.advance(61_000);
    expect((await dispatcher.attempt(d!.id, ep.id)).state).toBe('sent');
    expect(receiver.at('/claimed')).toHaveLength(1);
    clock.set(new Date());
  });
});

describe('webhook delivery: SSRF at connect time (private targets not allowed)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await createTestApp({
      workers: false,
      extraModules: [TestResolverModule],
      env: { WEBHOOK_TIMEOUT_SECONDS: '1' },
    });
  });
  afterAll(async () => {
    await t?.close();
    await receiver?.stop();
  });

  it('a name that resolved to a public address when checked and to loopback when sending is refused (receiver sees nothing)', async () => {
    const port = new URL(receiver.url('/')).port;
    resolutions.set('rebind.example', [['93.184.215.14'], ['127.0.0.1']]);
    const url = `http://rebind.example:${port}/rebound`;
    expect(await checkWebhookUrl(url, { allowPrivate: false, lookup: testResolver })).toMatchObject({ ok: true });
    const ep = await addEndpoint(t, url);
    const dispatcher = t.app.get(WebhookDispatcher);
    const eventId = await record(t, 'course.published', COURSE_EVENT);
    await dispatcher.fanOut(eventId);
    const d = await deliveryOf(t, ep.id);
    const result = await dispatcher.attempt(d.id as string, ep.id);
    expect(result.outcome).toMatchObject({ ok: false, error: 'address_forbidden' });
    expect(receiver.received).toHaveLength(0);
  });

  it('a literal loopback or metadata address is refused at connect time too', async () => {
    const dispatcher = t.app.get(WebhookDispatcher);
    for (const url of [
      receiver.url('/literal'),
      'http://169.254.169.254/latest/meta-data',
      'http://[::ffff:127.0.0.1]/x',
    ]) {
      const ep = await addEndpoint(t, url);
      await dispatcher.fanOut(await record(t, 'course.published', COURSE_EVENT));
      const d = await deliveryOf(t, ep.id);
      const result = await dispatcher.attempt(d.id as string, ep.id);
      expect(result.outcome).toMatchObject({ ok: false, error: 'address_forbidden' });
    }
    expect(receiver.received).toHaveLength(0);
  });
});

describe('webhook delivery end to end (workers running)', () => {
  let t: TestApp;
  let receiver: WebhookReceiver;
  let admin: TestActor;
  const ENV_SECRET = 'reference-style secret';

  beforeAll(async () => {
    receiver = await new WebhookReceiver().start();
    t = await createTestApp({
      env: {
        WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true',
        WEBHOOK_TIMEOUT_SECONDS: '10',
        WEBHOOK_DELIVERY_CONCURRENCY: '4',
        WEBHOOK_ENDPOINT_CONCURRENCY: '2',
        WEBHOOKS_ENABLED: 'true',
        WEBHOOK_TARGET_URLS: receiver.url('/env'),
        WEBHOOK_SIGNING_SECRET: ENV_SECRET,
      },
    });
    admin = await createActor(t, 'admin', 'wh-e2e');
  });
  afterAll(async () => {
    await receiver?.stop(); // first: attempts still waiting on the black hole end now
    await t?.close();
  });

  it('events from real requests reach a managed endpoint and the env target, each exactly once per delivery', async () => {
    const managed = await addEndpoint(t, receiver.url('/managed'), { events: ['user.created', 'enrollment.created'] });
    // user.created from the API (an admin creates a user).
    const created = await callApi(
      t,
      'POST',
      '/users',
      { email: `wh-${randomUUID()}@example.com`, password: 'correct-horse-battery', full_name: 'Hook Person' },
      admin.token,
    );
    expect(created.status).toBe(201);
    const userId = created.body.id as string;
    const match = (r: { body: string }): boolean => r.body.includes(userId);
    await until('the managed endpoint got user.created', () => receiver.at('/managed').some(match));
    await until('the env target got user.created', () => receiver.at('/env').some(match));
    const [toManaged] = receiver.at('/managed').filter(match);
    expect(JSON.parse(toManaged!.body)).toMatchObject({
      event: 'user.created',
      data: { user_id: userId, full_name: 'Hook Person', role: 'student' },
    });
    expect(() =>
      new Webhook(managed.secret).verify(toManaged!.body, toManaged!.headers as Record<string, string>),
    ).not.toThrow();
    // The env target: the reference's signature with WEBHOOK_SIGNING_SECRET, and Standard Webhooks with
    // whsec_ + base64(WEBHOOK_SIGNING_SECRET).
    const [toEnv] = receiver.at('/env').filter(match);
    const ts = toEnv!.headers['x-webhook-timestamp'] as string;
    expect(toEnv!.headers['x-webhook-signature']).toBe(
      `sha256=${createHmac('sha256', ENV_SECRET).update(`${ts}.${toEnv!.body}`).digest('hex')}`,
    );
    const envSecret = `whsec_${Buffer.from(ENV_SECRET).toString('base64')}`;
    expect(() => new Webhook(envSecret).verify(toEnv!.body, toEnv!.headers as Record<string, string>)).not.toThrow();
    const envRow = await endpointRow(t, envEndpointId(receiver.url('/env')));
    expect(envRow).toMatchObject({ source: 'env', is_active: true, events: ['*'] });
    // Exactly once: one request per endpoint for this event.
    await new Promise((r) => setTimeout(r, 300));
    expect(receiver.at('/managed').filter(match)).toHaveLength(1);
    expect(receiver.at('/env').filter(match)).toHaveLength(1);
  });

  it('an endpoint that never answers does not hold up deliveries to another endpoint', async () => {
    receiver.on('/blackhole', { hang: true });
    const dead = await addEndpoint(t, receiver.url('/blackhole'), { events: ['course.published'] });
    const live = await addEndpoint(t, receiver.url('/live'), { events: ['course.published'] });
    for (let i = 0; i < 20; i += 1)
      await record(t, 'course.published', { ...COURSE_EVENT, published_at: new Date().toISOString() });
    const got = await receiver.waitFor('/live', 20, 15_000);
    // All 20 reached the live endpoint before the dead one's first attempt had even timed out (10 s).
    const firstDeadAttempt = await t.db.query<{ attempted_at: Date }>(
      `SELECT a.attempted_at FROM webhook_delivery_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id
       WHERE d.endpoint_id = $1 ORDER BY a.attempted_at LIMIT 1`,
      [dead.id],
    );
    expect(got).toHaveLength(20);
    expect(firstDeadAttempt).toHaveLength(0);
    // The dead endpoint had at most WEBHOOK_ENDPOINT_CONCURRENCY (2) requests open at once.
    expect(receiver.at('/blackhole').length).toBeLessThanOrEqual(2);
    expect(live.id).not.toBe(dead.id);
  });
});
