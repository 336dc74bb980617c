import { randomBytes, randomUUID } from 'node:crypto';
import { Body, Controller, HttpCode, Module, Param, Post, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { IsBoolean, IsInt, IsOptional, IsString, MaxLength } from 'class-validator';
import {
  Authenticated,
  CurrentUser,
  Idempotent,
  IdempotencyModule,
  IdempotencyService,
  ProblemException,
  Public,
  type AuthUser,
} from '#core';
import { createTestApp, type TestApp } from '#testing';
import { bearer, register } from './auth-helpers.js';

class ThingDto {
  @IsString() @MaxLength(50) name!: string;
  @IsOptional() @IsInt() n?: number;
  @IsOptional() @IsString() tag?: string;
}

class UpsertDto {
  @IsString() name!: string;
  @IsBoolean() existing!: boolean;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Calls per route, so a test can tell an execution from a replay. */
const calls = { things: 0, upsert: 0, fail: 0, slow: 0, mine: 0, plain: 0, items: 0 };

@Controller('__idem')
class IdemTestController {
  @Public()
  @Post('things')
  @Idempotent()
  create(@Body() dto: ThingDto): { id: string; name: string; call: number } {
    calls.things++;
    return { id: randomUUID(), name: dto.name, call: calls.things };
  }

  /** 201 for a new thing, 200 for an existing one (set dynamically, like enroll). */
  @Public()
  @Post('upsert')
  @Idempotent()
  upsert(@Body() dto: UpsertDto, @Res({ passthrough: true }) reply: FastifyReply): { id: string; created: boolean } {
    calls.upsert++;
    if (dto.existing) void reply.status(200);
    return { id: randomUUID(), created: !dto.existing };
  }

  @Public()
  @Post('fail')
  @Idempotent()
  fail(@Body() dto: ThingDto): { ok: true } {
    calls.fail++;
    if (dto.name === 'bad') throw new ProblemException(409, 'thing_conflict', 'Nope');
    return { ok: true };
  }

  @Public()
  @Post('slow')
  @Idempotent()
  async slow(@Body() dto: ThingDto): Promise<{ id: string; name: string }> {
    calls.slow++;
    await sleep(400);
    return { id: randomUUID(), name: dto.name };
  }

  @Authenticated()
  @Post('mine')
  @Idempotent()
  mine(@CurrentUser() user: AuthUser): { user: string; id: string } {
    calls.mine++;
    return { user: user.id, id: randomUUID() };
  }

  @Public()
  @Post('groups/:gid/items')
  @Idempotent()
  item(@Param('gid') gid: string, @Body() dto: ThingDto): { id: string; gid: string; name: string } {
    calls.items++;
    return { id: randomUUID(), gid, name: dto.name };
  }

  /** Not marked: the header means nothing here. */
  @Public()
  @Post('plain')
  @HttpCode(201)
  plain(): { id: string } {
    calls.plain++;
    return { id: randomUUID() };
  }
}

@Module({ controllers: [IdemTestController] })
class IdemTestModule {}

const newKey = (): string => `k-${randomBytes(6).toString('hex')}`;

interface Sent {
  status: number;
  body: Record<string, unknown>;
  replayed: string | null;
}

async function post(
  t: TestApp,
  path: string,
  body: unknown,
  key?: string,
  headers: Record<string, string> = {},
): Promise<Sent> {
  const res = await t.request(`/api/v1/__idem/${path}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(key !== undefined ? { 'idempotency-key': key } : {}),
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  return {
    status: res.status,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
    replayed: res.headers.get('idempotent-replayed'),
  };
}

describe('Idempotency-Key (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    // Imported twice on purpose (the API module will import it too): must be harmless.
    t = await createTestApp({ workers: false, extraModules: [IdempotencyModule, IdempotencyModule, IdemTestModule] });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('replays the same key + body: one execution, same status and body, Idempotent-Replayed', async () => {
    const key = newKey();
    const before = calls.things;
    const first = await post(t, 'things', { name: 'a', n: 1 }, key);
    expect(first.status).toBe(201);
    expect(first.replayed).toBeNull();
    const again = await post(t, 'things', { n: 1, name: 'a' }, key); // key order does not matter
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.replayed).toBe('true');
    expect(calls.things).toBe(before + 1);

    const rows = await t.db.query<{ scope: string; route: string; status_code: number; response_body: unknown }>(
      'SELECT scope, route, status_code, response_body FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(rows).toEqual([
      { scope: 'anon', route: 'POST /api/v1/__idem/things', status_code: 201, response_body: first.body },
    ]);
  });

  it('same key with a different body → 422 idempotency_key_reused, no execution', async () => {
    const key = newKey();
    await post(t, 'things', { name: 'a' }, key);
    const before = calls.things;
    const res = await post(t, 'things', { name: 'b' }, key);
    expect(res.status).toBe(422);
    expect(res.body).toMatchObject({
      code: 'idempotency_key_reused',
      detail: 'Idempotency-Key was used with a different request',
    });
    expect(calls.things).toBe(before);
  });

  it('without the header every request executes', async () => {
    const before = calls.things;
    const a = await post(t, 'things', { name: 'x' });
    const b = await post(t, 'things', { name: 'x' });
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body['id']).not.toEqual(b.body['id']);
    expect(calls.things).toBe(before + 2);
  });

  it.each([['a b'], ['x'.repeat(256)], ['é'], ['key/1'], ['']])('invalid key %p → 422', async (key) => {
    const before = calls.things;
    const res = await post(t, 'things', { name: 'x' }, key);
    expect(res.status).toBe(422);
    expect(res.body['code']).toBe('invalid_idempotency_key');
    expect(calls.things).toBe(before);
  });

  it('accepts the whole allowed alphabet and 255 characters', async () => {
    expect((await post(t, 'things', { name: 'x' }, `Az09_.:-${randomUUID()}`)).status).toBe(201);
    expect((await post(t, 'things', { name: 'x' }, 'k'.repeat(254) + randomBytes(1).toString('hex')[0])).status).toBe(
      201,
    );
  });

  it('replays the status actually sent (200 vs 201 set by the handler)', async () => {
    const k1 = newKey();
    const k2 = newKey();
    const before = calls.upsert;
    const existing = await post(t, 'upsert', { name: 'e', existing: true }, k1);
    const created = await post(t, 'upsert', { name: 'n', existing: false }, k2);
    expect(existing.status).toBe(200);
    expect(created.status).toBe(201);
    const existingAgain = await post(t, 'upsert', { name: 'e', existing: true }, k1);
    const createdAgain = await post(t, 'upsert', { name: 'n', existing: false }, k2);
    expect(existingAgain).toEqual({ ...existing, replayed: 'true' });
    expect(createdAgain).toEqual({ ...created, replayed: 'true' });
    expect(calls.upsert).toBe(before + 2);
  });

  it('concurrent requests with one key: exactly one execution, the others 409 or the replay', async () => {
    const key = newKey();
    const before = calls.slow;
    const results = await Promise.all(Array.from({ length: 5 }, () => post(t, 'slow', { name: 'c' }, key)));
    expect(calls.slow).toBe(before + 1);
    const ok = results.filter((r) => r.status === 201);
    const busy = results.filter((r) => r.status === 409);
    expect(ok.length + busy.length).toBe(5);
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const r of ok) expect(r.body).toEqual(ok[0].body);
    for (const r of busy) expect(r.body['code']).toBe('idempotency_in_progress');
    // Once finished, a retry is the replay.
    const after = await post(t, 'slow', { name: 'c' }, key);
    expect(after).toEqual({ ...ok[0], replayed: 'true' });
    expect(calls.slow).toBe(before + 1);
  });

  it('a failing handler (4xx) is not stored: the retry executes again', async () => {
    const key = newKey();
    const before = calls.fail;
    const first = await post(t, 'fail', { name: 'bad' }, key);
    expect(first.status).toBe(409);
    expect(first.body['code']).toBe('thing_conflict');
    const retry = await post(t, 'fail', { name: 'bad' }, key);
    expect(retry.status).toBe(409);
    expect(retry.replayed).toBeNull();
    expect(calls.fail).toBe(before + 2);
    expect(await t.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).toHaveLength(0);
  });

  it('a validation failure (422 from the pipe) is not stored either', async () => {
    const key = newKey();
    const before = calls.things;
    expect((await post(t, 'things', { name: 5 }, key)).status).toBe(422);
    expect((await post(t, 'things', { name: 'ok' }, key)).status).toBe(201);
    expect(calls.things).toBe(before + 1);
  });

  it('keys are per user: user B with user A’s key executes; anonymous is its own scope', async () => {
    const a = await register(t);
    const b = await register(t);
    const key = newKey();
    const before = calls.mine;
    const first = await post(t, 'mine', {}, key, bearer(a.access));
    expect(first.status).toBe(201);
    expect(first.body['user']).toBe(a.id);
    const other = await post(t, 'mine', {}, key, bearer(b.access));
    expect(other.status).toBe(201);
    expect(other.replayed).toBeNull();
    expect(other.body['user']).toBe(b.id);
    const replay = await post(t, 'mine', {}, key, bearer(a.access));
    expect(replay).toEqual({ ...first, replayed: 'true' });
    expect(calls.mine).toBe(before + 2);
    const scopes = await t.db.query<{ scope: string }>(
      'SELECT scope FROM idempotency_keys WHERE key = $1 ORDER BY scope',
      [key],
    );
    expect(scopes.map((r) => r.scope).sort()).toEqual([a.id, b.id].sort());
  });

  it('keys are per route', async () => {
    const key = newKey();
    const t1 = calls.things;
    const f1 = calls.fail;
    expect((await post(t, 'things', { name: 'r' }, key)).status).toBe(201);
    expect((await post(t, 'fail', { name: 'r' }, key)).status).toBe(201);
    expect(calls.things).toBe(t1 + 1);
    expect(calls.fail).toBe(f1 + 1);
  });

  it('path parameters and the query string are part of the request', async () => {
    const key = newKey();
    const before = calls.items;
    const first = await post(t, 'groups/g1/items', { name: 'i' }, key);
    expect(first.status).toBe(201);
    expect(await post(t, 'groups/g1/items', { name: 'i' }, key)).toEqual({ ...first, replayed: 'true' });
    const otherGroup = await post(t, 'groups/g2/items', { name: 'i' }, key);
    expect(otherGroup.status).toBe(422);
    expect(otherGroup.body['code']).toBe('idempotency_key_reused');
    expect((await post(t, 'groups/g1/items?x=1', { name: 'i' }, key)).status).toBe(422);
    expect(calls.items).toBe(before + 1);
    const [row] = await t.db.query<{ route: string }>('SELECT route FROM idempotency_keys WHERE key = $1', [key]);
    expect(row.route).toBe('POST /api/v1/__idem/groups/:gid/items');
  });

  it('routes without @Idempotent() ignore the header', async () => {
    const key = newKey();
    const before = calls.plain;
    const a = await post(t, 'plain', {}, key);
    const b = await post(t, 'plain', {}, key);
    expect([a.status, b.status, a.replayed, b.replayed]).toEqual([201, 201, null, null]);
    expect(calls.plain).toBe(before + 2);
    expect((await post(t, 'plain', {}, 'not valid!')).status).toBe(201);
  });

  it('expired rows are treated as absent and purged', async () => {
    const key = newKey();
    const before = calls.things;
    const first = await post(t, 'things', { name: 'old' }, key);
    await t.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`, [key]);
    // Even with another body: the old row no longer counts.
    const fresh = await post(t, 'things', { name: 'new' }, key);
    expect(fresh.status).toBe(201);
    expect(fresh.replayed).toBeNull();
    expect(fresh.body['id']).not.toEqual(first.body['id']);
    expect(calls.things).toBe(before + 2);
    expect((await post(t, 'things', { name: 'new' }, key)).replayed).toBe('true');

    const stale = newKey();
    await post(t, 'things', { name: 's' }, stale);
    await t.db.query(`UPDATE idempotency_keys SET expires_at = now() - interval '1 hour' WHERE key = $1`, [stale]);
    const purged = await t.app.get(IdempotencyService).purgeExpired();
    expect(purged).toBeGreaterThanOrEqual(1);
    expect(await t.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [stale])).toHaveLength(0);
    expect(await t.db.query('SELECT 1 FROM idempotency_keys WHERE key = $1', [key])).toHaveLength(1);
  });

  it('a "running" row abandoned past the lock timeout is taken over', async () => {
    const key = newKey();
    await t.db.query(
      `INSERT INTO idempotency_keys (scope, route, key, request_hash, status_code, created_at, expires_at)
       VALUES ('anon', 'POST /api/v1/__idem/things', $1, 'x', NULL, now() - interval '1 hour', now() + interval '1 hour')`,
      [key],
    );
    const res = await post(t, 'things', { name: 'z' }, key);
    expect(res.status).toBe(201);
    expect(res.replayed).toBeNull();
  });
});

describe('Idempotency-Key with the response envelope (e2e)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({
      workers: false,
      env: { API_RESPONSE_ENVELOPE_ENABLED: 'true' },
      extraModules: [IdempotencyModule, IdemTestModule],
    });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('stores the raw handler result and replays it through the same envelope', async () => {
    const key = newKey();
    const first = await post(t, 'things', { name: 'env' }, key);
    expect(first.status).toBe(201);
    expect(first.body).toMatchObject({ success: true, data: { name: 'env' } });
    const again = await post(t, 'things', { name: 'env' }, key);
    expect(again).toEqual({ ...first, replayed: 'true' });

    const [row] = await t.db.query<{ response_body: Record<string, unknown> }>(
      'SELECT response_body FROM idempotency_keys WHERE key = $1',
      [key],
    );
    expect(row.response_body).toEqual(first.body['data']);
  });

  it('replays a dynamic 200 enveloped as well', async () => {
    const key = newKey();
    const first = await post(t, 'upsert', { name: 'e', existing: true }, key);
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({ success: true, data: { created: false } });
    expect(await post(t, 'upsert', { name: 'e', existing: true }, key)).toEqual({ ...first, replayed: 'true' });
  });
});
