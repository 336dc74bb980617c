import { request as httpRequest } from 'node:http';
import {
  Body,
  ConflictException,
  Controller,
  Delete,
  ForbiddenException,
  Get,
  Header,
  HttpCode,
  Module,
  Post,
  Query,
  UnauthorizedException,
} from '@nestjs/common';
import { Type } from 'class-transformer';
import { IsEmail, IsInt, IsOptional, IsString, MaxLength, Min, ValidateNested } from 'class-validator';
import { paginate, PaginationQueryDto, ProblemException, type ProblemBody, Public } from '#core';
import { createTestApp, type TestApp } from '#testing';

class AddressDto {
  @IsString() @MaxLength(20) city!: string;
}

class CreateThingDto {
  @IsString() @MaxLength(50) name!: string;
  @IsEmail() email!: string;
  @IsOptional() @IsInt() @Min(0) age?: number;
  @IsOptional() @ValidateNested() @Type(() => AddressDto) address?: AddressDto;
}

/** A list filter extends the shared pagination query (a runtime use, as decorator metadata needs). */
class ItemsQueryDto extends PaginationQueryDto {}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

@Public()
@Controller('__platform')
class PlatformTestController {
  @Post('things')
  create(@Body() dto: CreateThingDto): { created: CreateThingDto } {
    return { created: dto };
  }

  @Get('object')
  object(): { hello: string } {
    return { hello: 'world' };
  }

  @Get('array')
  array(): number[] {
    return [1, 2, 3];
  }

  @Get('excluded/inner')
  excluded(): { raw: boolean } {
    return { raw: true };
  }

  @Get('wrapped-already')
  wrapped(): { success: boolean; data: number; message: string } {
    return { success: true, data: 1, message: 'mine' };
  }

  @Get('text')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  text(): string {
    return 'plain';
  }

  @Delete('thing')
  @HttpCode(204)
  remove(): void {}

  @Get('items')
  items(@Query() query: ItemsQueryDto): ReturnType<typeof paginate<number>> {
    return paginate([1, 2], 45, query);
  }

  @Get('problem')
  problem(): never {
    throw new ProblemException(409, 'course_full', 'The course is full', { course_id: 'c-1' });
  }

  @Get('unauthorized')
  unauthorized(): never {
    throw new UnauthorizedException('Not authenticated');
  }

  @Get('forbidden')
  forbidden(): never {
    throw new ForbiddenException('Not authorized to perform this action');
  }

  @Get('conflict')
  conflict(): never {
    throw new ConflictException('Email already registered');
  }

  @Get('boom')
  boom(): never {
    throw new Error('connection to db://secret-password@host failed');
  }

  @Get('slow')
  async slow(): Promise<{ done: boolean }> {
    await sleep(300);
    return { done: true };
  }
}

@Module({ controllers: [PlatformTestController] })
class PlatformTestModule {}

const P = '/api/v1/__platform';

type Problem = ProblemBody;

async function expectProblem(res: Response, status: number, code: string): Promise<Problem> {
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  const body = (await res.json()) as Problem;
  expect(body).toMatchObject({ status, code, title: expect.any(String), detail: expect.any(String) });
  expect(body.type).toBe(`https://lms.local/problems/${code}`);
  expect(body.request_id).toBe(res.headers.get('x-request-id'));
  expect(body.request_id).toMatch(/^[A-Za-z0-9._:-]+$/);
  return body;
}

function rawGet(
  baseUrl: string,
  path: string,
  host: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: url.port, path, method: 'GET', headers: { host } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('HTTP platform (envelope off)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      workers: false,
      env: { ENABLE_API_DOCS: 'false', BODY_LIMIT_BYTES: '2048', CORS_ORIGINS: 'http://allowed.example' },
      extraModules: [PlatformTestModule],
    });
  });
  afterAll(async () => {
    await t.close();
  });

  it('GET / answers the root message unprefixed', async () => {
    const res = await t.request('/');
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ message: 'LMS Backend API' });
  });

  it('unknown route → 404 problem+json whose request_id is the X-Request-ID header', async () => {
    const res = await t.request('/api/v1/nope?x=1');
    const body = await expectProblem(res, 404, 'not_found');
    expect(body.instance).toBe('/api/v1/nope');
    expect(body.request_id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('echoes a valid incoming X-Request-ID and replaces an invalid one', async () => {
    const ok = await t.request(`${P}/object`, { headers: { 'x-request-id': 'abc.DEF_1:2-3' } });
    expect(ok.headers.get('x-request-id')).toBe('abc.DEF_1:2-3');
    const bad = await t.request(`${P}/object`, { headers: { 'x-request-id': 'bad id<script>' } });
    expect(bad.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const long = await t.request('/api/v1/nope', { headers: { 'x-request-id': 'a'.repeat(129) } });
    const body = await expectProblem(long, 404, 'not_found');
    expect(body.request_id).not.toBe('a'.repeat(129));
  });

  it('malformed JSON → 400 malformed_json; an empty JSON body is a missing body (422 on a route that needs one)', async () => {
    const res = await t.request(`${P}/things`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"name": ',
    });
    await expectProblem(res, 400, 'malformed_json');
    const empty = await t.request(`${P}/things`, { method: 'POST', headers: { 'content-type': 'application/json' } });
    await expectProblem(empty, 422, 'validation_failed');
  });

  it('body over BODY_LIMIT_BYTES → 413 with request id', async () => {
    const res = await t.request(`${P}/things`, json({ name: 'x'.repeat(4000), email: 'a@b.co' }));
    await expectProblem(res, 413, 'payload_too_large');
  });

  it('text/plain to a JSON endpoint → 415', async () => {
    const res = await t.request(`${P}/things`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    await expectProblem(res, 415, 'unsupported_media_type');
  });

  it('closes the connection after an answer sent before the request body was read (no keep-alive deadlock)', async () => {
    const url = new URL(t.baseUrl);
    /** Sends the headers announcing `length` bytes and only `sent` of them; resolves with the answer's Connection header. */
    const partial = (path: string, contentType: string, length: number, sent: number) =>
      new Promise<{ status: number; connection: string | undefined }>((resolve, reject) => {
        const req = httpRequest(
          {
            host: url.hostname,
            port: url.port,
            path,
            method: 'POST',
            headers: { 'content-type': contentType, 'content-length': String(length), connection: 'keep-alive' },
          },
          (res) => {
            res.resume();
            resolve({ status: res.statusCode ?? 0, connection: res.headers.connection });
            req.destroy();
          },
        );
        req.on('error', reject);
        req.write('x'.repeat(sent));
      });
    // Refused before the body is read (415): the rest of the body is never read, so the server closes.
    expect(await partial(`${P}/things`, 'text/plain', 1_000_000, 1000)).toEqual({ status: 415, connection: 'close' });
    // A body read to its end, and a request without one, keep the connection.
    const whole = await new Promise<string | undefined>((resolve, reject) => {
      const body = JSON.stringify({ name: 'n', email: 'a@b.co' });
      const req = httpRequest(
        {
          host: url.hostname,
          port: url.port,
          path: `${P}/things`,
          method: 'POST',
          headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.headers.connection));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    expect(whole).not.toBe('close');
    const get = await new Promise<string | undefined>((resolve, reject) => {
      httpRequest({ host: url.hostname, port: url.port, path: '/', method: 'GET' }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.headers.connection));
      })
        .on('error', reject)
        .end();
    });
    expect(get).not.toBe('close');
  });

  it('validation: valid body passes, unknown field and bad types → 422 with errors[]', async () => {
    const good = await t.request(`${P}/things`, json({ name: 'n', email: 'a@b.co', address: { city: 'Oslo' } }));
    expect(good.status).toBe(201);
    expect(await good.json()).toEqual({ created: { name: 'n', email: 'a@b.co', address: { city: 'Oslo' } } });

    const unknown = await t.request(`${P}/things`, json({ name: 'n', email: 'a@b.co', is_admin: true }));
    const u = await expectProblem(unknown, 422, 'validation_failed');
    expect(u.errors).toEqual([{ field: 'is_admin', message: expect.any(String), code: 'whitelist_violation' }]);

    const bad = await t.request(`${P}/things`, json({ name: 5, email: 'nope', age: 'x', address: { city: 7 } }));
    const b = await expectProblem(bad, 422, 'validation_failed');
    const pairs = (b.errors ?? []).map((e) => `${e.field}:${e.code}`);
    expect(pairs).toEqual(
      expect.arrayContaining(['name:is_string', 'email:is_email', 'age:is_int', 'address.city:is_string']),
    );
  });

  it('ProblemException keeps status, code, detail and extra members', async () => {
    const body = await expectProblem(await t.request(`${P}/problem`), 409, 'course_full');
    expect(body).toMatchObject({ detail: 'The course is full', course_id: 'c-1', instance: `${P}/problem` });
  });

  it('Nest HttpExceptions map to problems keeping their message', async () => {
    expect((await expectProblem(await t.request(`${P}/unauthorized`), 401, 'unauthorized')).detail).toBe(
      'Not authenticated',
    );
    expect((await expectProblem(await t.request(`${P}/forbidden`), 403, 'forbidden')).detail).toBe(
      'Not authorized to perform this action',
    );
    expect((await expectProblem(await t.request(`${P}/conflict`), 409, 'conflict')).detail).toBe(
      'Email already registered',
    );
  });

  it('an unexpected Error → 500 with a generic detail and nothing internal', async () => {
    const res = await t.request(`${P}/boom`);
    const text = await res.clone().text();
    const body = await expectProblem(res, 500, 'internal_error');
    expect(body.detail).toBe('Internal server error');
    expect(text).not.toMatch(/secret|stack|db:\/\//);
  });

  it('does not envelope when disabled', async () => {
    expect(await (await t.request(`${P}/object`)).json()).toEqual({ hello: 'world' });
  });

  it('pagination: defaults, bounds and math', async () => {
    const def = await t.request(`${P}/items`);
    expect(await def.json()).toEqual({ items: [1, 2], total: 45, page: 1, page_size: 20, total_pages: 3 });
    const p = await t.request(`${P}/items?page=2&page_size=10`);
    expect(await p.json()).toEqual({ items: [1, 2], total: 45, page: 2, page_size: 10, total_pages: 5 });
    const max = await t.request(`${P}/items?page_size=100`);
    expect(max.status).toBe(200);
    for (const q of [
      'page_size=0',
      'page_size=101',
      'page_size=-1',
      'page_size=abc',
      'page=0',
      'page=abc',
      'page=1.5',
    ]) {
      const res = await t.request(`${P}/items?${q}`);
      const body = await expectProblem(res, 422, 'validation_failed');
      expect(body.errors?.[0]?.field).toBe(q.split('=')[0]);
    }
  });

  it('security headers on success and error responses', async () => {
    for (const path of [`${P}/object`, '/api/v1/nope', `${P}/boom`]) {
      const res = await t.request(path);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('referrer-policy')).toBe('no-referrer');
      expect(res.headers.get('x-permitted-cross-domain-policies')).toBe('none');
      expect(res.headers.get('permissions-policy')).toBe('camera=(), microphone=(), geolocation=()');
      expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
      expect(res.headers.get('strict-transport-security')).toBeNull(); // plain http
    }
  });

  it('CORS: allowed origin gets credentials + exposed headers; a disallowed one gets no ACAO', async () => {
    const ok = await t.request(`${P}/object`, { headers: { origin: 'http://allowed.example' } });
    expect(ok.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    expect(ok.headers.get('access-control-expose-headers')).toContain('X-Request-ID');

    const pre = await t.request(`${P}/things`, {
      method: 'OPTIONS',
      headers: {
        origin: 'http://allowed.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,idempotency-key',
      },
    });
    expect(pre.status).toBeLessThan(300);
    expect(pre.headers.get('access-control-allow-origin')).toBe('http://allowed.example');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Idempotency-Key/);
    expect(pre.headers.get('access-control-allow-methods')).toContain('PATCH');

    const bad = await t.request(`${P}/object`, { headers: { origin: 'http://evil.example' } });
    expect(bad.status).toBe(200);
    expect(bad.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an untrusted Host header → 400 invalid_host problem; trusted hosts pass', async () => {
    const bad = await rawGet(t.baseUrl, `${P}/object`, 'evil.example.com');
    expect(bad.status).toBe(400);
    expect(bad.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = JSON.parse(bad.body) as Problem;
    expect(body.code).toBe('invalid_host');
    expect(body.request_id).toBe(bad.headers['x-request-id']);
    expect(bad.headers['x-content-type-options']).toBe('nosniff');

    const good = await rawGet(t.baseUrl, `${P}/object`, 'localhost:1234');
    expect(good.status).toBe(200);
  });
});

describe('HTTP platform (envelope on) and graceful shutdown', () => {
  let t: TestApp;
  let closed = false;
  beforeAll(async () => {
    t = await createTestApp({
      workers: false,
      env: {
        ENABLE_API_DOCS: 'false',
        API_RESPONSE_ENVELOPE_ENABLED: 'true',
        API_RESPONSE_SUCCESS_MESSAGE: 'OK!',
        API_RESPONSE_ENVELOPE_EXCLUDED_PATHS: '/docs,/metrics,/api/v1/__platform/excluded',
      },
      extraModules: [PlatformTestModule],
    });
  });
  afterAll(async () => {
    if (!closed) await t.close();
  });

  it('wraps JSON objects and arrays, keeps the status', async () => {
    const res = await t.request(`${P}/object`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, data: { hello: 'world' }, message: 'OK!' });
    expect(await (await t.request(`${P}/array`)).json()).toEqual({ success: true, data: [1, 2, 3], message: 'OK!' });
    const created = await t.request(`${P}/things`, json({ name: 'n', email: 'a@b.co' }));
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({
      success: true,
      data: { created: { name: 'n', email: 'a@b.co' } },
      message: 'OK!',
    });
    expect(await (await t.request('/')).json()).toEqual({
      success: true,
      data: { message: 'LMS Backend API' },
      message: 'OK!',
    });
  });

  it('leaves excluded paths, already-wrapped payloads, text, 204 and HEAD alone', async () => {
    expect(await (await t.request(`${P}/excluded/inner`)).json()).toEqual({ raw: true });
    expect(await (await t.request(`${P}/wrapped-already`)).json()).toEqual({ success: true, data: 1, message: 'mine' });
    expect(await (await t.request(`${P}/text`)).text()).toBe('plain');
    const del = await t.request(`${P}/thing`, { method: 'DELETE' });
    expect(del.status).toBe(204);
    expect(await del.text()).toBe('');
    const head = await t.request(`${P}/object`, { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('never wraps errors', async () => {
    const res = await t.request(`${P}/conflict`);
    const body = await expectProblem(res, 409, 'conflict');
    expect(body).not.toHaveProperty('success');
    const v = await t.request(`${P}/items?page_size=101`);
    expect(await expectProblem(v, 422, 'validation_failed')).not.toHaveProperty('success');
  });

  it('an in-flight request completes when the app closes during it', async () => {
    const pending = t.request(`${P}/slow`);
    await sleep(80);
    const closing = t.close();
    closed = true;
    await sleep(20);
    // New requests while draining are refused with a 503 problem (the server still listens).
    const late = await t.request(`${P}/object`);
    await expectProblem(late, 503, 'service_unavailable');
    const res = await pending;
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ success: true, data: { done: true }, message: 'OK!' });
    await closing;
  });
});
