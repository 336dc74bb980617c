// The /webhooks admin routes end to end on the real app and database: endpoints (secret shown once,
// sealed at rest), the SSRF check of their URLs with the private-targets flag on and off, env
// endpoints read-only, secret rotation on a manual clock, test sends, the delivery log and
// redelivery, the event catalogue, the permission matrix and the OpenAPI declarations.
// The queue workers are off: deliveries stay as the routes leave them (nothing is sent).
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { Global, Module } from '@nestjs/common';
import { buildOpenApiDocument } from '#core';
import {
  callApi,
  createActor,
  createTestApp,
  ManualClock,
  type JsonResponse,
  type TestActor,
  type TestApp,
} from '#testing';
import {
  envEndpointId,
  WEBHOOK_EVENT_TYPES,
  WEBHOOK_EVENTS,
  WEBHOOK_RESOLVER,
  WebhookSecrets,
  type LookupFn,
} from '#webhooks';

const NO_ID = '00000000-0000-4000-8000-000000000000';
const ENV_URL = 'http://127.0.0.1:9/hook';
const HOUR = 3_600_000;
const START = new Date('2026-03-02T09:00:00.000Z');

/** Names the fake resolver knows (anything else does not resolve). */
const DNS: Record<string, string> = {
  'hooks.example.test': '93.184.216.34',
  'metadata.example.test': '169.254.169.254',
  'intranet.example.test': '10.20.30.40',
};
const fakeLookup: LookupFn = async (hostname) => {
  const address = DNS[hostname];
  if (!address) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
  return [{ address, family: 4 }];
};

/** Provides WEBHOOK_RESOLVER to the whole app (the URL check and the dispatcher's agent). */
@Global()
@Module({ providers: [{ provide: WEBHOOK_RESOLVER, useValue: fakeLookup }], exports: [WEBHOOK_RESOLVER] })
class FakeDnsModule {}

const secretOf = (bytes: number): string => `whsec_${randomBytes(bytes).toString('base64')}`;

interface EndpointRow {
  id: string;
  source: string;
  url: string;
  description: string | null;
  events: string[];
  is_active: boolean;
  secret_sealed: string | null;
  previous_secret_sealed: string | null;
  previous_secret_expires_at: Date | null;
  disabled_reason: string | null;
  disabled_at: Date | null;
  failing_since: Date | null;
  created_by: string | null;
  updated_at: Date;
}

async function endpointCount(t: TestApp): Promise<number> {
  const [row] = await t.db.query<{ n: number }>('SELECT count(*)::int AS n FROM webhook_endpoints');
  return row!.n;
}

async function endpointRow(t: TestApp, id: string): Promise<EndpointRow | undefined> {
  const [row] = await t.db.query<EndpointRow>('SELECT * FROM webhook_endpoints WHERE id = $1', [id]);
  return row;
}

describe('webhooks admin routes (WEBHOOK_ALLOW_PRIVATE_TARGETS on, one env target)', () => {
  let t: TestApp;
  let clock: ManualClock;
  let admin: TestActor;
  let instructor: TestActor;
  let student: TestActor;
  let secrets: WebhookSecrets;

  beforeAll(async () => {
    clock = new ManualClock(START);
    t = await createTestApp({
      workers: false,
      clock,
      extraModules: [FakeDnsModule],
      env: { WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true', WEBHOOKS_ENABLED: 'true', WEBHOOK_TARGET_URLS: ENV_URL },
    });
    admin = await createActor(t, 'admin', 'wh');
    instructor = await createActor(t, 'instructor', 'wh');
    student = await createActor(t, 'student', 'wh');
    secrets = t.app.get(WebhookSecrets);
  }, 60_000);
  afterAll(async () => t?.close());

  const api = (
    method: string,
    path: string,
    body?: unknown,
    who: TestActor | undefined = admin,
  ): Promise<JsonResponse> => callApi(t, method, path, body, who?.token);

  /** A managed endpoint created through the API (201 checked). */
  async function create(body: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const res = await api('POST', '/webhooks', { url: 'http://127.0.0.1:8080/hooks', events: ['*'], ...body });
    expect(res.status).toBe(201);
    return res.body;
  }

  /** A delivery row written directly (the engine's fan-out is not under test here). */
  async function insertDelivery(
    endpointId: string,
    opts: { status?: string; event?: string; createdAt?: Date; attempts?: number } = {},
  ): Promise<string> {
    const event = opts.event ?? 'course.published';
    const body = JSON.stringify({ event, timestamp: '2026-03-02T09:00:00+00:00', data: { n: 1 } });
    const [row] = await t.db.query<{ id: string }>(
      `INSERT INTO webhook_deliveries (endpoint_id, event_id, event_type, body, event_timestamp, status, attempts,
         created_at, completed_at)
       VALUES ($1, gen_random_uuid(), $2, $3, '2026-03-02T09:00:00+00:00', $4::varchar, $5, $6::timestamptz,
         CASE WHEN $4::varchar = 'pending' THEN NULL ELSE $6::timestamptz END)
       RETURNING id`,
      [endpointId, event, body, opts.status ?? 'pending', opts.attempts ?? 0, opts.createdAt ?? new Date()],
    );
    return row!.id;
  }

  // ── Create, read, update, delete ──────────────────────────────────────

  it('creates an endpoint: 201 with the secret once; GET never shows it; sealed at rest with the row id', async () => {
    const before = await endpointCount(t);
    const res = await api('POST', '/webhooks', {
      url: '  http://127.0.0.1:8080/hooks?x=1  ',
      events: ['course.published', 'user.created', 'course.published'],
      description: '  CRM sync  ',
    });
    expect(res.status).toBe(201);
    const created = res.body;
    expect(created).toMatchObject({
      url: 'http://127.0.0.1:8080/hooks?x=1',
      events: ['course.published', 'user.created'],
      description: 'CRM sync',
      is_active: true,
      source: 'managed',
      disabled_reason: null,
      disabled_at: null,
      failing_since: null,
      last_success_at: null,
      secret_rotated_until: null,
    });
    expect(Object.keys(created).sort()).toEqual(
      [
        'id',
        'url',
        'events',
        'description',
        'is_active',
        'source',
        'disabled_reason',
        'disabled_at',
        'failing_since',
        'last_success_at',
        'created_at',
        'updated_at',
        'secret_rotated_until',
        'secret',
      ].sort(),
    );
    const secret = created.secret as string;
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(32);
    expect(await endpointCount(t)).toBe(before + 1);

    const id = created.id as string;
    const got = await api('GET', `/webhooks/${id}`);
    expect(got.status).toBe(200);
    const { secret: _shownOnce, ...withoutSecret } = created;
    expect(got.body).toEqual(withoutSecret);
    const text = JSON.stringify(got.body);
    expect(text).not.toContain(secret.slice(6));
    expect(text).not.toContain('secret_sealed');

    const row = (await endpointRow(t, id))!;
    expect(row.source).toBe('managed');
    expect(row.created_by).toBe(admin.user.id);
    expect(row.secret_sealed).toBeTruthy();
    expect(row.secret_sealed).not.toContain(secret);
    expect(row.secret_sealed).not.toContain(secret.slice(6));
    expect(secrets.open(row.secret_sealed!, id)).toBe(secret);
    // The row id is the associated data: the sealed secret does not open for another row.
    expect(() => secrets.open(row.secret_sealed!, NO_ID)).toThrow();
    expect(JSON.stringify(row.previous_secret_sealed)).toBe('null');
  });

  it('creates with a given secret, is_active false, ["*"], a resolvable host name and a 500-code-point description', async () => {
    const secret = secretOf(48);
    const description = '😀'.repeat(500);
    const created = await create({
      url: 'https://hooks.example.test/lms',
      events: ['*'],
      is_active: false,
      secret,
      description,
    });
    expect(created).toMatchObject({ url: 'https://hooks.example.test/lms', events: ['*'], is_active: false, secret });
    expect(created.description).toBe(description);
    const row = (await endpointRow(t, created.id as string))!;
    expect(secrets.open(row.secret_sealed!, row.id)).toBe(secret);
    // Switched off at creation: no system reason.
    expect(row.disabled_reason).toBeNull();
    // description: null on create is "none"; an empty one too.
    expect((await create({ description: null })).description).toBeNull();
    expect((await create({ description: '   ' })).description).toBeNull();
    // Secrets of 24 and 64 bytes are the bounds.
    expect((await create({ secret: secretOf(24) })).secret).toMatch(/^whsec_/);
    expect((await create({ secret: secretOf(64) })).secret).toMatch(/^whsec_/);
  });

  it('does not store the create answer for an Idempotency-Key (it holds the secret): no plain secret at rest', async () => {
    const before = await endpointCount(t);
    const post = async (): Promise<{ status: number; body: Record<string, unknown> }> => {
      const res = await t.request('/api/v1/webhooks', {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${admin.token}`,
          'idempotency-key': 'webhook-create-1',
        },
        body: JSON.stringify({ url: 'http://127.0.0.1:8081/idem', events: ['user.created'] }),
      });
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    const first = await post();
    const second = await post();
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(second.body.id).not.toBe(first.body.id);
    expect(await endpointCount(t)).toBe(before + 2);
    const stored = await t.db.query<{ n: string }>(
      "SELECT count(*) AS n FROM idempotency_keys WHERE response_body::text LIKE '%whsec_%'",
    );
    expect(Number(stored[0]!.n)).toBe(0);
  });

  it('lists endpoints newest first, paginated, env endpoints included', async () => {
    await create({ url: 'http://127.0.0.1:8080/list-a' });
    await create({ url: 'http://127.0.0.1:8080/list-b' });
    const ids = (
      await t.db.query<{ id: string }>('SELECT id FROM webhook_endpoints ORDER BY created_at DESC, id DESC')
    ).map((r) => r.id);

    const all = await api('GET', '/webhooks?page_size=100');
    expect(all.status).toBe(200);
    expect(all.body).toMatchObject({ total: ids.length, page: 1, page_size: 100, total_pages: 1 });
    const items = all.body.items as Array<Record<string, unknown>>;
    expect(items.map((i) => i.id)).toEqual(ids);
    expect(items[0]!.url).toBe('http://127.0.0.1:8080/list-b');
    for (const item of items) {
      expect(item).not.toHaveProperty('secret');
      expect(item).not.toHaveProperty('secret_sealed');
    }
    const env = items.find((i) => i.source === 'env');
    expect(env).toMatchObject({ id: envEndpointId(ENV_URL), url: ENV_URL, events: ['*'], is_active: true });

    const page2 = await api('GET', '/webhooks?page=2&page_size=2');
    expect(page2.status).toBe(200);
    expect(page2.body).toMatchObject({
      total: ids.length,
      page: 2,
      page_size: 2,
      total_pages: Math.ceil(ids.length / 2),
    });
    expect((page2.body.items as Array<{ id: string }>).map((i) => i.id)).toEqual(ids.slice(2, 4));

    for (const bad of ['page=0', 'page_size=101', 'page=x']) {
      const res = await api('GET', `/webhooks?${bad}`);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
    }
  });

  it('GET of an unknown id is 404 "Webhook not found"; a non-UUID id 422', async () => {
    const missing = await api('GET', `/webhooks/${NO_ID}`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ code: 'not_found', detail: 'Webhook not found' });
    const bad = await api('GET', '/webhooks/not-a-uuid');
    expect(bad.status).toBe(422);
    expect(bad.body.code).toBe('validation_failed');
  });

  it('PATCH changes url, events, description (null clears), is_active; re-enabling clears the system state', async () => {
    const created = await create({ description: 'before', events: ['user.created'] });
    const id = created.id as string;
    const rowBefore = (await endpointRow(t, id))!;

    const changed = await api('PATCH', `/webhooks/${id}`, {
      url: 'https://hooks.example.test/v2',
      events: ['certificate.issued', 'certificate.revoked', 'certificate.issued'],
      description: null,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      id,
      url: 'https://hooks.example.test/v2',
      events: ['certificate.issued', 'certificate.revoked'],
      description: null,
      is_active: true,
    });
    expect(changed.body).not.toHaveProperty('secret');
    const rowAfter = (await endpointRow(t, id))!;
    expect(rowAfter.updated_at.getTime()).toBeGreaterThan(rowBefore.updated_at.getTime());
    // The secret is untouched by PATCH.
    expect(rowAfter.secret_sealed).toBe(rowBefore.secret_sealed);

    // An empty PATCH changes nothing.
    const same = await api('PATCH', `/webhooks/${id}`, {});
    expect(same.status).toBe(200);
    expect(same.body).toEqual(changed.body);

    // Switched off by an admin: disabled_at now (the app's clock), no system reason.
    const off = await api('PATCH', `/webhooks/${id}`, { is_active: false });
    expect(off.status).toBe(200);
    expect(off.body).toMatchObject({ is_active: false, disabled_reason: null, disabled_at: clock.now().toISOString() });

    // The system had switched it off after failing: switching it on clears all of that.
    await t.db.query(
      `UPDATE webhook_endpoints SET disabled_reason = 'Every attempt failed for 5 days', failing_since = $2
       WHERE id = $1`,
      [id, new Date(START.getTime() - 120 * HOUR)],
    );
    const on = await api('PATCH', `/webhooks/${id}`, { is_active: true });
    expect(on.status).toBe(200);
    expect(on.body).toMatchObject({ is_active: true, disabled_reason: null, disabled_at: null, failing_since: null });

    // is_active: true on an active endpoint leaves a failing run alone.
    await t.db.query('UPDATE webhook_endpoints SET failing_since = $2 WHERE id = $1', [id, START]);
    const again = await api('PATCH', `/webhooks/${id}`, { is_active: true });
    expect(again.body.failing_since).toBe(START.toISOString());

    const missing = await api('PATCH', `/webhooks/${NO_ID}`, { description: 'x' });
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('Webhook not found');
  });

  it('PATCH refuses bad input without changing the row', async () => {
    const id = (await create({ description: 'keep', events: ['user.created'] })).id as string;
    const before = await endpointRow(t, id);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ url: 'http://169.254.169.254/latest/meta-data' }, 'webhook_url_forbidden'],
      [{ url: 'not a url' }, 'validation_failed'],
      [{ url: null }, 'validation_failed'],
      [{ events: null }, 'validation_failed'],
      [{ events: [] }, 'validation_failed'],
      [{ events: ['nope.event'] }, 'validation_failed'],
      [{ events: ['*', 'user.created'] }, 'validation_failed'],
      [{ is_active: null }, 'validation_failed'],
      [{ is_active: 'yes' }, 'validation_failed'],
      [{ description: 'x'.repeat(501) }, 'validation_failed'],
      [{ secret: secretOf(32) }, 'validation_failed'],
      [{ source: 'env' }, 'validation_failed'],
    ];
    for (const [body, code] of cases) {
      const res = await api('PATCH', `/webhooks/${id}`, body);
      expect({ body, status: res.status, code: res.body.code }).toEqual({ body, status: 422, code });
    }
    expect(await endpointRow(t, id)).toEqual(before);
  });

  it('DELETE removes the endpoint and its deliveries and attempts (204), then 404', async () => {
    const id = (await create()).id as string;
    const deliveryId = await insertDelivery(id, { status: 'failed', attempts: 1 });
    await t.db.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code)
       VALUES ($1, 1, now(), 12, 500)`,
      [deliveryId],
    );
    const res = await t.request(`/api/v1/webhooks/${id}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${admin.token}` },
    });
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await endpointRow(t, id)).toBeUndefined();
    expect(await t.db.query('SELECT 1 FROM webhook_deliveries WHERE id = $1', [deliveryId])).toHaveLength(0);
    expect(
      await t.db.query('SELECT 1 FROM webhook_delivery_attempts WHERE delivery_id = $1', [deliveryId]),
    ).toHaveLength(0);
    expect((await api('GET', `/webhooks/${id}`)).status).toBe(404);
    const again = await api('DELETE', `/webhooks/${id}`);
    expect(again.status).toBe(404);
    expect(again.body.detail).toBe('Webhook not found');
  });

  // ── Permissions and path ids ────────────────────────────────────────────

  it('every route is admin-only: anonymous 401, instructor 403, student 403 — and nothing changes', async () => {
    const id = (await create({ description: 'guarded' })).id as string;
    const deliveryId = await insertDelivery(id, { status: 'failed', attempts: 8 });
    const before = { endpoints: await endpointCount(t), row: await endpointRow(t, id) };
    const deliveriesBefore = await t.db.query('SELECT * FROM webhook_deliveries ORDER BY id');
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/webhooks/event-types'],
      ['POST', '/webhooks', { url: 'http://127.0.0.1:8080/x', events: ['*'] }],
      ['GET', '/webhooks'],
      ['GET', `/webhooks/${id}`],
      ['PATCH', `/webhooks/${id}`, { description: 'changed' }],
      ['DELETE', `/webhooks/${id}`],
      ['POST', `/webhooks/${id}/rotate-secret`, {}],
      ['POST', `/webhooks/${id}/test`],
      ['GET', `/webhooks/${id}/deliveries`],
      ['GET', `/webhooks/${id}/deliveries/${deliveryId}`],
      ['POST', `/webhooks/${id}/deliveries/${deliveryId}/redeliver`],
    ];
    const callers: Array<[string, TestActor | undefined, number, string]> = [
      ['anonymous', undefined, 401, 'not_authenticated'],
      ['instructor', instructor, 403, 'forbidden'],
      ['student', student, 403, 'forbidden'],
    ];
    for (const [method, path, body] of routes) {
      for (const [who, actor, status, code] of callers) {
        const res = await callApi(t, method, path, body, actor?.token);
        expect({ method, path, who, status: res.status, code: res.body.code }).toEqual({
          method,
          path,
          who,
          status,
          code,
        });
      }
    }
    expect(await endpointCount(t)).toBe(before.endpoints);
    expect(await endpointRow(t, id)).toEqual(before.row);
    expect(await t.db.query('SELECT * FROM webhook_deliveries ORDER BY id')).toEqual(deliveriesBefore);
  });

  it('non-UUID path ids are 422 on every route that takes one', async () => {
    const id = (await create()).id as string;
    const deliveryId = await insertDelivery(id);
    const routes: Array<[string, string, unknown?]> = [
      ['GET', '/webhooks/123'],
      ['PATCH', '/webhooks/123', { description: 'x' }],
      ['DELETE', '/webhooks/123'],
      ['POST', '/webhooks/123/rotate-secret'],
      ['POST', '/webhooks/123/test'],
      ['GET', '/webhooks/123/deliveries'],
      ['GET', `/webhooks/123/deliveries/${deliveryId}`],
      ['GET', `/webhooks/${id}/deliveries/123`],
      ['POST', `/webhooks/123/deliveries/${deliveryId}/redeliver`],
      ['POST', `/webhooks/${id}/deliveries/123/redeliver`],
    ];
    for (const [method, path, body] of routes) {
      const res = await api(method, path, body);
      expect({ method, path, status: res.status, code: res.body.code }).toEqual({
        method,
        path,
        status: 422,
        code: 'validation_failed',
      });
    }
    expect(await t.db.query('SELECT status FROM webhook_deliveries WHERE endpoint_id = $1', [id])).toEqual([
      { status: 'pending' },
    ]);
  });

  // ── Bad input on create ─────────────────────────────────────────────────

  it('refuses bad create bodies with 422 and creates nothing', async () => {
    const valid = { url: 'http://127.0.0.1:8080/ok', events: ['user.created'] };
    const fiftyOne = Array.from({ length: 51 }, (_, i) => `made.up.${i}`);
    const cases: Array<{ name: string; body: unknown; code: string; reason?: string; detail?: RegExp }> = [
      { name: 'malformed url', body: { ...valid, url: 'not a url' }, code: 'validation_failed', reason: 'invalid_url' },
      { name: 'ftp', body: { ...valid, url: 'ftp://x' }, code: 'validation_failed', reason: 'scheme_not_allowed' },
      { name: 'javascript:', body: { ...valid, url: 'javascript:alert(1)' }, code: 'validation_failed' },
      {
        name: 'credentials',
        body: { ...valid, url: 'http://user:pw@127.0.0.1/' },
        code: 'validation_failed',
        reason: 'credentials_not_allowed',
      },
      {
        name: 'url too long',
        body: { ...valid, url: `http://127.0.0.1/${'a'.repeat(2048)}` },
        code: 'validation_failed',
      },
      { name: 'url missing', body: { events: ['*'] }, code: 'validation_failed' },
      { name: 'url not a string', body: { ...valid, url: 42 }, code: 'validation_failed' },
      {
        name: 'metadata address',
        body: { ...valid, url: 'http://169.254.169.254/' },
        code: 'webhook_url_forbidden',
        reason: 'forbidden_address',
      },
      {
        name: 'link-local even with private targets allowed',
        body: { ...valid, url: 'http://169.254.10.20:8080/hook' },
        code: 'webhook_url_forbidden',
        reason: 'forbidden_address',
      },
      {
        name: 'IPv4-mapped metadata address',
        body: { ...valid, url: 'http://[::ffff:169.254.169.254]/' },
        code: 'webhook_url_forbidden',
        reason: 'forbidden_address',
      },
      {
        name: 'a name resolving to the metadata address',
        body: { ...valid, url: 'http://metadata.example.test/' },
        code: 'webhook_url_forbidden',
        reason: 'forbidden_address',
      },
      {
        name: 'a name that does not resolve',
        body: { ...valid, url: 'http://nowhere.example.test/' },
        code: 'webhook_url_forbidden',
        reason: 'unresolvable',
      },
      {
        name: 'unknown event names',
        body: { ...valid, events: ['user.created', 'nope.event', 'other.bad'] },
        code: 'validation_failed',
        detail: /nope\.event, other\.bad/,
      },
      {
        name: '* with names',
        body: { ...valid, events: ['*', 'user.created'] },
        code: 'validation_failed',
        detail: /"\*"/,
      },
      { name: 'empty events', body: { ...valid, events: [] }, code: 'validation_failed' },
      { name: 'too many events', body: { ...valid, events: fiftyOne }, code: 'validation_failed', detail: /50/ },
      {
        name: '51 copies of a valid name (limit is on the list as sent)',
        body: { ...valid, events: Array(51).fill('user.created') },
        code: 'validation_failed',
      },
      {
        name: 'webhook.test',
        body: { ...valid, events: ['webhook.test'] },
        code: 'validation_failed',
        detail: /webhook\.test/,
      },
      { name: 'events not an array', body: { ...valid, events: 'user.created' }, code: 'validation_failed' },
      { name: 'events of numbers', body: { ...valid, events: [1] }, code: 'validation_failed' },
      { name: 'events missing', body: { url: valid.url }, code: 'validation_failed' },
      {
        name: 'description of 501 code points',
        body: { ...valid, description: '😀'.repeat(501) },
        code: 'validation_failed',
      },
      { name: 'description not a string', body: { ...valid, description: 5 }, code: 'validation_failed' },
      { name: 'unknown field', body: { ...valid, source: 'env' }, code: 'validation_failed' },
      { name: 'unknown field (secret_sealed)', body: { ...valid, secret_sealed: 'x' }, code: 'validation_failed' },
      { name: 'is_active not a boolean', body: { ...valid, is_active: 'yes' }, code: 'validation_failed' },
      { name: 'is_active null', body: { ...valid, is_active: null }, code: 'validation_failed' },
      {
        name: 'secret without prefix',
        body: { ...valid, secret: randomBytes(32).toString('base64') },
        code: 'validation_failed',
      },
      { name: 'secret not base64', body: { ...valid, secret: 'whsec_not*base64!' }, code: 'validation_failed' },
      { name: 'secret too short (16 bytes)', body: { ...valid, secret: secretOf(16) }, code: 'validation_failed' },
      { name: 'secret too short (23 bytes)', body: { ...valid, secret: secretOf(23) }, code: 'validation_failed' },
      { name: 'secret too long (65 bytes)', body: { ...valid, secret: secretOf(65) }, code: 'validation_failed' },
      { name: 'secret empty', body: { ...valid, secret: 'whsec_' }, code: 'validation_failed' },
      { name: 'secret null', body: { ...valid, secret: null }, code: 'validation_failed' },
      { name: 'body an array', body: [valid], code: 'validation_failed' },
    ];
    const before = await endpointCount(t);
    for (const c of cases) {
      const res = await api('POST', '/webhooks', c.body);
      expect({ name: c.name, status: res.status, code: res.body.code }).toEqual({
        name: c.name,
        status: 422,
        code: c.code,
      });
      if (c.reason && c.code === 'webhook_url_forbidden') {
        expect({ name: c.name, reason: res.body.reason }).toEqual({ name: c.name, reason: c.reason });
      }
      if (c.reason && c.code === 'validation_failed') {
        expect({ name: c.name, errors: res.body.errors }).toEqual({
          name: c.name,
          errors: [expect.objectContaining({ field: 'url', code: c.reason })],
        });
      }
      if (c.detail) expect(res.body.detail).toMatch(c.detail);
    }
    expect(await endpointCount(t)).toBe(before);
  });

  // ── Secret rotation ─────────────────────────────────────────────────────

  it('rotate-secret: new secret once, the old one signs until clock + 24 h', async () => {
    clock.set(START);
    const created = await create();
    const id = created.id as string;
    const oldSealed = (await endpointRow(t, id))!.secret_sealed!;

    const res = await api('POST', `/webhooks/${id}/rotate-secret`);
    expect(res.status).toBe(200);
    expect(Object.keys(res.body).sort()).toEqual(['previous_secret_expires_at', 'secret']);
    const secret = res.body.secret as string;
    expect(secret).toMatch(/^whsec_/);
    expect(secret).not.toBe(created.secret);
    const expires = new Date(START.getTime() + 24 * HOUR).toISOString();
    expect(res.body.previous_secret_expires_at).toBe(expires);

    const row = (await endpointRow(t, id))!;
    expect(row.previous_secret_sealed).toBe(oldSealed);
    expect(secrets.open(row.previous_secret_sealed!, id)).toBe(created.secret);
    expect(secrets.open(row.secret_sealed!, id)).toBe(secret);
    expect(row.secret_sealed).not.toContain(secret.slice(6));
    expect(row.previous_secret_expires_at!.toISOString()).toBe(expires);

    const got = await api('GET', `/webhooks/${id}`);
    expect(got.body.secret_rotated_until).toBe(expires);
    expect(JSON.stringify(got.body)).not.toContain(secret.slice(6));
    clock.advance(24 * HOUR + 1);
    expect((await api('GET', `/webhooks/${id}`)).body.secret_rotated_until).toBeNull();

    // A given secret; the previous one is now the second.
    const given = secretOf(32);
    const second = await api('POST', `/webhooks/${id}/rotate-secret`, { secret: given });
    expect(second.status).toBe(200);
    expect(second.body).toEqual({
      secret: given,
      previous_secret_expires_at: new Date(clock.now().getTime() + 24 * HOUR).toISOString(),
    });
    const row2 = (await endpointRow(t, id))!;
    expect(secrets.open(row2.secret_sealed!, id)).toBe(given);
    expect(secrets.open(row2.previous_secret_sealed!, id)).toBe(secret);

    // Bad bodies change nothing.
    for (const body of [{ secret: 'whsec_short' }, { secret: null }, { other: 1 }]) {
      const bad = await api('POST', `/webhooks/${id}/rotate-secret`, body);
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('validation_failed');
    }
    expect(await endpointRow(t, id)).toEqual(row2);
    const missing = await api('POST', `/webhooks/${NO_ID}/rotate-secret`);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('Webhook not found');
    clock.set(START);
  });

  // ── Env endpoints ───────────────────────────────────────────────────────

  it('env endpoints are listed and readable but PATCH, DELETE and rotate-secret are 409', async () => {
    const id = envEndpointId(ENV_URL);
    const got = await api('GET', `/webhooks/${id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({
      id,
      url: ENV_URL,
      source: 'env',
      events: ['*'],
      is_active: true,
      description: 'WEBHOOK_TARGET_URLS',
      secret_rotated_until: null,
    });
    const before = await endpointRow(t, id);
    for (const [method, path, body] of [
      ['PATCH', `/webhooks/${id}`, { is_active: false }],
      ['PATCH', `/webhooks/${id}`, { url: 'http://127.0.0.1:8080/elsewhere' }],
      ['DELETE', `/webhooks/${id}`, undefined],
      ['POST', `/webhooks/${id}/rotate-secret`, undefined],
    ] as const) {
      const res = await api(method, path, body);
      expect({ method, status: res.status, code: res.body.code }).toEqual({
        method,
        status: 409,
        code: 'webhook_managed_by_config',
      });
    }
    expect(await endpointRow(t, id)).toEqual(before);
  });

  // ── Test sends and redelivery ───────────────────────────────────────────

  it('POST /webhooks/{id}/test creates a webhook.test delivery (202); 409 when the endpoint is off', async () => {
    const id = (await create({ events: ['user.created'] })).id as string;
    const res = await api('POST', `/webhooks/${id}/test`);
    expect(res.status).toBe(202);
    expect(Object.keys(res.body)).toEqual(['delivery_id']);
    const [row] = await t.db.query<{ endpoint_id: string; event_type: string; status: string; body: string }>(
      'SELECT endpoint_id, event_type, status, body FROM webhook_deliveries WHERE id = $1',
      [res.body.delivery_id],
    );
    expect(row).toMatchObject({ endpoint_id: id, event_type: 'webhook.test', status: 'pending' });
    expect(JSON.parse(row!.body)).toMatchObject({
      event: 'webhook.test',
      data: { webhook_id: id, requested_by: admin.user.id, requested_at: clock.now().toISOString() },
    });

    // The env endpoint can be tested too (it is active).
    expect((await api('POST', `/webhooks/${envEndpointId(ENV_URL)}/test`)).status).toBe(202);

    const off = (await create({ is_active: false })).id as string;
    const refused = await api('POST', `/webhooks/${off}/test`);
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('webhook_disabled');
    expect(await t.db.query('SELECT 1 FROM webhook_deliveries WHERE endpoint_id = $1', [off])).toHaveLength(0);

    const missing = await api('POST', `/webhooks/${NO_ID}/test`);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('Webhook not found');
  });

  it('redeliver: pending → 409 delivery_pending; failed → 202 and pending again; other endpoint → 404; off → 409', async () => {
    const id = (await create()).id as string;
    const test = await api('POST', `/webhooks/${id}/test`);
    const deliveryId = test.body.delivery_id as string;

    const pending = await api('POST', `/webhooks/${id}/deliveries/${deliveryId}/redeliver`);
    expect(pending.status).toBe(409);
    expect(pending.body.code).toBe('delivery_pending');

    await t.db.query(
      `UPDATE webhook_deliveries SET status = 'failed', attempts = 8, last_status_code = 500, next_attempt_at = NULL,
         completed_at = now() WHERE id = $1`,
      [deliveryId],
    );
    clock.advance(HOUR);
    const again = await api('POST', `/webhooks/${id}/deliveries/${deliveryId}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toEqual({ delivery_id: deliveryId });
    const [row] = await t.db.query<{
      status: string;
      attempts: number;
      completed_at: Date | null;
      next_attempt_at: Date;
    }>('SELECT status, attempts, completed_at, next_attempt_at FROM webhook_deliveries WHERE id = $1', [deliveryId]);
    expect(row).toMatchObject({ status: 'pending', attempts: 8, completed_at: null });
    expect(row!.next_attempt_at.toISOString()).toBe(clock.now().toISOString());

    // A delivery of another endpoint is not found under this one.
    const other = (await create()).id as string;
    const otherDelivery = await insertDelivery(other, { status: 'failed' });
    const wrong = await api('POST', `/webhooks/${id}/deliveries/${otherDelivery}/redeliver`);
    expect(wrong.status).toBe(404);
    expect(wrong.body.detail).toBe('Delivery not found');
    const unknown = await api('POST', `/webhooks/${id}/deliveries/${NO_ID}/redeliver`);
    expect(unknown.status).toBe(404);
    expect(unknown.body.detail).toBe('Delivery not found');
    const noEndpoint = await api('POST', `/webhooks/${NO_ID}/deliveries/${otherDelivery}/redeliver`);
    expect(noEndpoint.status).toBe(404);
    expect(noEndpoint.body.detail).toBe('Webhook not found');

    // Endpoint switched off: 409, the delivery stays failed.
    expect((await api('PATCH', `/webhooks/${other}`, { is_active: false })).status).toBe(200);
    const off = await api('POST', `/webhooks/${other}/deliveries/${otherDelivery}/redeliver`);
    expect(off.status).toBe(409);
    expect(off.body.code).toBe('webhook_disabled');
    const [still] = await t.db.query<{ status: string }>('SELECT status FROM webhook_deliveries WHERE id = $1', [
      otherDelivery,
    ]);
    expect(still!.status).toBe('failed');
    clock.set(START);
  });

  // ── Delivery log ────────────────────────────────────────────────────────

  it('lists deliveries newest first with status and event filters and pagination', async () => {
    const id = (await create()).id as string;
    const at = (minutes: number): Date => new Date(START.getTime() + minutes * 60_000);
    const d1 = await insertDelivery(id, {
      status: 'succeeded',
      event: 'course.published',
      createdAt: at(1),
      attempts: 1,
    });
    const d2 = await insertDelivery(id, { status: 'failed', event: 'user.created', createdAt: at(2), attempts: 8 });
    const d3 = await insertDelivery(id, { status: 'pending', event: 'course.published', createdAt: at(3) });
    const d4 = await insertDelivery(id, { status: 'succeeded', event: 'user.created', createdAt: at(4), attempts: 2 });
    const d5 = await insertDelivery(id, {
      status: 'succeeded',
      event: 'course.published',
      createdAt: at(5),
      attempts: 1,
    });
    // Another endpoint's deliveries never show.
    await insertDelivery((await create()).id as string, { status: 'succeeded', createdAt: at(6) });

    const ids = async (query: string): Promise<{ ids: string[]; body: Record<string, unknown> }> => {
      const res = await api('GET', `/webhooks/${id}/deliveries${query}`);
      expect(res.status).toBe(200);
      return { ids: (res.body.items as Array<{ id: string }>).map((i) => i.id), body: res.body };
    };
    const all = await ids('');
    expect(all.ids).toEqual([d5, d4, d3, d2, d1]);
    expect(all.body).toMatchObject({ total: 5, page: 1, page_size: 20, total_pages: 1 });
    const first = (all.body.items as Array<Record<string, unknown>>)[0]!;
    expect(Object.keys(first).sort()).toEqual(
      [
        'id',
        'event_id',
        'event_type',
        'status',
        'attempts',
        'last_status_code',
        'last_error',
        'last_duration_ms',
        'last_response_excerpt',
        'next_attempt_at',
        'created_at',
        'completed_at',
      ].sort(),
    );
    expect(first).toMatchObject({ id: d5, event_type: 'course.published', status: 'succeeded', attempts: 1 });
    expect(first.created_at).toBe(at(5).toISOString());

    expect((await ids('?status=succeeded')).ids).toEqual([d5, d4, d1]);
    expect((await ids('?event=user.created')).ids).toEqual([d4, d2]);
    expect((await ids('?status=succeeded&event=course.published')).ids).toEqual([d5, d1]);
    expect((await ids('?status=&event=')).ids).toEqual([d5, d4, d3, d2, d1]);
    const page = await ids('?page=2&page_size=2');
    expect(page.ids).toEqual([d3, d2]);
    expect(page.body).toMatchObject({ total: 5, page: 2, page_size: 2, total_pages: 3 });
    const filteredPage = await ids('?status=succeeded&page=2&page_size=2');
    expect(filteredPage.ids).toEqual([d1]);
    expect(filteredPage.body).toMatchObject({ total: 3, total_pages: 2 });

    for (const bad of ['status=done', 'event=nope.event', 'page_size=0', 'status=pending&status=failed', 'other=1']) {
      const res = await api('GET', `/webhooks/${id}/deliveries?${bad}`);
      expect({ bad, status: res.status, code: res.body.code }).toEqual({ bad, status: 422, code: 'validation_failed' });
    }
    const missing = await api('GET', `/webhooks/${NO_ID}/deliveries`);
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toBe('Webhook not found');
  });

  it('a delivery in detail: the body sent and every attempt in order; 404 under another endpoint', async () => {
    const id = (await create()).id as string;
    const deliveryId = await insertDelivery(id, { status: 'failed', event: 'user.created', attempts: 3 });
    const t0 = START.getTime();
    // Written out of order on purpose.
    await t.db.query(
      `INSERT INTO webhook_delivery_attempts (delivery_id, attempt, attempted_at, duration_ms, status_code, error,
         response_excerpt)
       VALUES ($1, 3, $4, 30, 503, NULL, 'down'), ($1, 1, $2, 10, NULL, 'connect ECONNREFUSED', NULL),
              ($1, 2, $3, 20, 500, NULL, 'oops')`,
      [deliveryId, new Date(t0), new Date(t0 + 5_000), new Date(t0 + 305_000)],
    );
    await t.db.query(
      `UPDATE webhook_deliveries SET last_status_code = 503, last_duration_ms = 30, last_response_excerpt = 'down'
       WHERE id = $1`,
      [deliveryId],
    );
    const res = await api('GET', `/webhooks/${id}/deliveries/${deliveryId}`);
    expect(res.status).toBe(200);
    const [row] = await t.db.query<{ body: string; event_id: string }>(
      'SELECT body, event_id FROM webhook_deliveries WHERE id = $1',
      [deliveryId],
    );
    expect(res.body).toMatchObject({
      id: deliveryId,
      event_id: row!.event_id,
      event_type: 'user.created',
      status: 'failed',
      last_status_code: 503,
      last_duration_ms: 30,
      last_response_excerpt: 'down',
      body: row!.body,
    });
    expect(res.body.attempts).toEqual([
      {
        attempt: 1,
        attempted_at: new Date(t0).toISOString(),
        duration_ms: 10,
        status_code: null,
        error: 'connect ECONNREFUSED',
        response_excerpt: null,
      },
      {
        attempt: 2,
        attempted_at: new Date(t0 + 5_000).toISOString(),
        duration_ms: 20,
        status_code: 500,
        error: null,
        response_excerpt: 'oops',
      },
      {
        attempt: 3,
        attempted_at: new Date(t0 + 305_000).toISOString(),
        duration_ms: 30,
        status_code: 503,
        error: null,
        response_excerpt: 'down',
      },
    ]);

    const other = (await create()).id as string;
    const wrong = await api('GET', `/webhooks/${other}/deliveries/${deliveryId}`);
    expect(wrong.status).toBe(404);
    expect(wrong.body).toMatchObject({ code: 'not_found', detail: 'Delivery not found' });
    expect((await api('GET', `/webhooks/${id}/deliveries/${NO_ID}`)).body.detail).toBe('Delivery not found');
  });

  // ── Catalogue and OpenAPI ───────────────────────────────────────────────

  it('GET /webhooks/event-types lists every catalogue event with its schema; webhook.test is not subscribable', async () => {
    const res = await api('GET', '/webhooks/event-types');
    expect(res.status).toBe(200);
    const items = res.body.items as Array<{
      name: string;
      description: string;
      schema: unknown;
      subscribable: boolean;
    }>;
    expect(items.map((i) => i.name)).toEqual(WEBHOOK_EVENT_TYPES);
    for (const item of items) {
      expect(item.description).toBe(WEBHOOK_EVENTS[item.name as keyof typeof WEBHOOK_EVENTS].description);
      expect(item.schema).toEqual(
        JSON.parse(JSON.stringify(WEBHOOK_EVENTS[item.name as keyof typeof WEBHOOK_EVENTS].schema)),
      );
      expect(item.schema).toMatchObject({ type: 'object', additionalProperties: false });
      expect(item.subscribable).toBe(item.name !== 'webhook.test');
    }
  });

  it('declares every /webhooks route in OpenAPI with problem responses and exact DTOs', () => {
    const doc = buildOpenApiDocument(t.app, t.config);
    const problem = { $ref: '#/components/schemas/ProblemDetails' };
    const expected: Record<string, Record<string, string[]>> = {
      '/api/v1/webhooks/event-types': { get: ['200', '401', '403'] },
      '/api/v1/webhooks': { post: ['201', '401', '403', '422'], get: ['200', '401', '403', '422'] },
      '/api/v1/webhooks/{id}': {
        get: ['200', '401', '403', '404', '422'],
        patch: ['200', '401', '403', '404', '409', '422'],
        delete: ['204', '401', '403', '404', '409', '422'],
      },
      '/api/v1/webhooks/{id}/rotate-secret': { post: ['200', '401', '403', '404', '409', '422'] },
      '/api/v1/webhooks/{id}/test': { post: ['202', '401', '403', '404', '409', '422'] },
      '/api/v1/webhooks/{id}/deliveries': { get: ['200', '401', '403', '404', '422'] },
      '/api/v1/webhooks/{id}/deliveries/{delivery_id}': { get: ['200', '401', '403', '404', '422'] },
      '/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver': { post: ['202', '401', '403', '404', '409', '422'] },
    };
    const paths = Object.keys(doc.paths).filter((p) => p.startsWith('/api/v1/webhooks'));
    expect(paths.sort()).toEqual(Object.keys(expected).sort());
    for (const [path, methods] of Object.entries(expected)) {
      for (const [method, statuses] of Object.entries(methods)) {
        const op = (doc.paths[path] as Record<string, { tags: string[]; responses: Record<string, unknown> }>)[method]!;
        expect({ path, method, tags: op.tags }).toEqual({ path, method, tags: ['webhooks'] });
        // Besides the route's own: the statuses the document builder adds to every operation, 404/414
        // with path parameters, 403/413/415 on unsafe methods.
        const unsafe = method !== 'get';
        const conventional = [
          ...['400', '422', '429', '431', '500', '503'],
          ...(path.includes('{') ? ['404', '414'] : []),
          ...(unsafe ? ['403', '413', '415'] : []),
        ];
        const all = [...new Set([...statuses, ...conventional])].sort();
        expect({ path, method, statuses: Object.keys(op.responses).sort() }).toEqual({ path, method, statuses: all });
        for (const status of all.filter((s) => Number(s) >= 400)) {
          const response = op.responses[status] as { content?: Record<string, { schema: unknown }> };
          const schema = response.content?.['application/problem+json']?.schema;
          expect({ path, method, status, schema }).toEqual({
            path,
            method,
            status,
            schema: problem,
          });
        }
      }
    }
    const schemas = doc.components!.schemas as Record<string, { properties: Record<string, Record<string, unknown>> }>;
    const endpoint = schemas.WebhookResponseDto!.properties;
    expect(endpoint).not.toHaveProperty('secret');
    expect(endpoint.description).toMatchObject({ type: 'string', nullable: true });
    expect(endpoint.secret_rotated_until).toMatchObject({ type: 'string', format: 'date-time', nullable: true });
    expect(schemas.WebhookCreatedResponseDto!.properties.secret).toMatchObject({ type: 'string' });
    expect(schemas.WebhookDeliveryResponseDto!.properties.last_status_code).toMatchObject({
      type: 'integer',
      nullable: true,
    });
    expect(schemas.WebhookDeliveryDetailDto!.properties.attempts).toMatchObject({ type: 'array' });
    expect(schemas.UpdateWebhookDto!.properties.description).toMatchObject({ type: 'string', nullable: true });
    const created = (doc.paths['/api/v1/webhooks'] as Record<string, { responses: Record<string, unknown> }>).post!
      .responses['201'] as { content: Record<string, { schema: unknown }> };
    expect(created.content['application/json']!.schema).toEqual({
      $ref: '#/components/schemas/WebhookCreatedResponseDto',
    });
  });
});

describe('webhooks admin routes (WEBHOOK_ALLOW_PRIVATE_TARGETS off)', () => {
  let t: TestApp;
  let admin: TestActor;

  beforeAll(async () => {
    t = await createTestApp({ workers: false, extraModules: [FakeDnsModule] });
    admin = await createActor(t, 'admin', 'wh-strict');
  }, 60_000);
  afterAll(async () => t?.close());

  it('refuses loopback, private, localhost and names resolving to them; accepts public targets', async () => {
    const cases: Array<[string, string]> = [
      ['http://127.0.0.1/', 'forbidden_address'],
      ['http://127.0.0.1:9/hook', 'forbidden_address'],
      ['http://[::1]:8080/', 'forbidden_address'],
      ['http://0x7f000001/', 'forbidden_address'],
      ['http://10.0.0.1/', 'forbidden_address'],
      ['http://192.168.1.10/', 'forbidden_address'],
      ['http://localhost:8080/', 'localhost'],
      ['http://api.localhost/', 'localhost'],
      ['http://intranet.example.test/', 'forbidden_address'],
      ['http://169.254.169.254/', 'forbidden_address'],
    ];
    const before = await endpointCount(t);
    for (const [url, reason] of cases) {
      const res = await callApi(t, 'POST', '/webhooks', { url, events: ['*'] }, admin.token);
      expect({ url, status: res.status, code: res.body.code, reason: res.body.reason }).toEqual({
        url,
        status: 422,
        code: 'webhook_url_forbidden',
        reason,
      });
    }
    expect(await endpointCount(t)).toBe(before);

    const ok = await callApi(
      t,
      'POST',
      '/webhooks',
      { url: 'https://hooks.example.test/in', events: ['*'] },
      admin.token,
    );
    expect(ok.status).toBe(201);
    const id = ok.body.id as string;
    const before2 = await endpointRow(t, id);
    const patched = await callApi(t, 'PATCH', `/webhooks/${id}`, { url: 'http://10.1.2.3/' }, admin.token);
    expect(patched.status).toBe(422);
    expect(patched.body).toMatchObject({ code: 'webhook_url_forbidden', reason: 'forbidden_address' });
    expect(await endpointRow(t, id)).toEqual(before2);
  });

  it('lists no env endpoint when none is configured', async () => {
    const res = await callApi(t, 'GET', '/webhooks', undefined, admin.token);
    expect(res.status).toBe(200);
    expect((res.body.items as Array<{ source: string }>).every((i) => i.source === 'managed')).toBe(true);
  });
});
