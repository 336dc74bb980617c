import { jest } from '@jest/globals';
import { Logger, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { lastValueFrom, of, throwError } from 'rxjs';
import { ProblemException } from '../http/problem.js';
import { IDEMPOTENT_KEY } from './idempotency.constants.js';
import { idempotencyHash, IdempotencyInterceptor } from './idempotency.interceptor.js';
import { requestHash, type BeginResult, type IdempotencyService } from './idempotency.service.js';

function handlerWith(marked: boolean): () => void {
  const fn = (): void => undefined;
  if (marked) Reflect.defineMetadata(IDEMPOTENT_KEY, true, fn);
  return fn;
}

interface FakeReply {
  statusCode: number;
  headers: Record<string, string>;
  status(code: number): FakeReply;
  header(name: string, value: string): FakeReply;
}

function setup(opts: { key?: string; user?: string; marked?: boolean; begin?: BeginResult; status?: number }) {
  const reply: FakeReply = {
    statusCode: opts.status ?? 201,
    headers: {},
    status(code) {
      this.statusCode = code;
      return this;
    },
    header(name, value) {
      this.headers[name] = value;
      return this;
    },
  };
  const request = {
    method: 'POST',
    url: '/api/v1/things?x=1',
    routeOptions: { url: '/api/v1/things' },
    headers: opts.key === undefined ? {} : { 'idempotency-key': opts.key },
    body: { b: 2, a: 1 },
    user: opts.user ? { id: opts.user } : undefined,
  };
  const handler = handlerWith(opts.marked ?? true);
  const context = {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => Object,
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => reply }),
  } as unknown as ExecutionContext;
  const service = {
    begin: jest.fn(async () => opts.begin ?? ({ kind: 'started' } as BeginResult)),
    complete: jest.fn(async () => undefined),
    release: jest.fn(async () => undefined),
  };
  const interceptor = new IdempotencyInterceptor(new Reflector(), service as unknown as IdempotencyService);
  return { reply, request, context, service, interceptor };
}

const next = (value: unknown): CallHandler & { calls: number } => {
  const h = {
    calls: 0,
    handle: () => {
      h.calls++;
      return of(value);
    },
  };
  return h;
};

const run = async (i: IdempotencyInterceptor, ctx: ExecutionContext, n: CallHandler): Promise<unknown> =>
  lastValueFrom(await i.intercept(ctx, n));

const target = { scope: 'anon', route: 'POST /api/v1/things', key: 'k1' };

describe('IdempotencyInterceptor', () => {
  beforeAll(() => Logger.overrideLogger(false));

  it('passes through without the header, on unmarked routes and without the service', async () => {
    const a = setup({});
    const n = next({ id: 1 });
    expect(await run(a.interceptor, a.context, n)).toEqual({ id: 1 });
    expect(a.service.begin).not.toHaveBeenCalled();

    const b = setup({ key: 'k1', marked: false });
    expect(await run(b.interceptor, b.context, n)).toEqual({ id: 1 });
    expect(b.service.begin).not.toHaveBeenCalled();

    const c = setup({ key: 'k1' });
    const bare = new IdempotencyInterceptor(new Reflector(), undefined);
    expect(await run(bare, c.context, n)).toEqual({ id: 1 });
    expect(n.calls).toBe(3);
  });

  it('422 invalid_idempotency_key for a malformed key', async () => {
    const s = setup({ key: 'bad key' });
    await expect(s.interceptor.intercept(s.context, next({}))).rejects.toMatchObject({
      code: 'invalid_idempotency_key',
      status: 422,
    });
  });

  it('claims with scope/route/key and the body hash, then stores status and raw body', async () => {
    const s = setup({ key: 'k1', user: 'u-1', status: 200 });
    const n = next({ id: 7 });
    expect(await run(s.interceptor, s.context, n)).toEqual({ id: 7 });
    const user = { ...target, scope: 'u-1' };
    expect(s.service.begin).toHaveBeenCalledWith(user, requestHash({ a: 1, b: 2 }));
    expect(s.service.complete).toHaveBeenCalledWith(user, 200, { id: 7 });
    expect(s.service.release).not.toHaveBeenCalled();
  });

  it('replays the stored status and body with Idempotent-Replayed, without running the handler', async () => {
    const s = setup({ key: 'k1', begin: { kind: 'replay', statusCode: 201, body: { id: 9 } }, status: 200 });
    const n = next({ id: 10 });
    expect(await run(s.interceptor, s.context, n)).toEqual({ id: 9 });
    expect(n.calls).toBe(0);
    expect(s.reply.statusCode).toBe(201);
    expect(s.reply.headers['Idempotent-Replayed']).toBe('true');
  });

  it.each([
    ['mismatch', 422, 'idempotency_key_reused'],
    ['in_progress', 409, 'idempotency_in_progress'],
  ] as const)('%s → %i %s', async (kind, status, code) => {
    const s = setup({ key: 'k1', begin: { kind } });
    const n = next({});
    const err = (await s.interceptor.intercept(s.context, n).catch((e: unknown) => e)) as ProblemException;
    expect(err).toBeInstanceOf(ProblemException);
    expect(err.getStatus()).toBe(status);
    expect(err.code).toBe(code);
    expect(n.calls).toBe(0);
  });

  it('releases the key when the handler fails, and rethrows', async () => {
    const s = setup({ key: 'k1' });
    const boom = new ProblemException(400, 'nope', 'Nope');
    const failing: CallHandler = { handle: () => throwError(() => boom) };
    await expect(run(s.interceptor, s.context, failing)).rejects.toBe(boom);
    expect(s.service.release).toHaveBeenCalledWith(target);
    expect(s.service.complete).not.toHaveBeenCalled();
  });

  it('does not store non-2xx or non-JSON results', async () => {
    const s = setup({ key: 'k1', status: 302 });
    await run(s.interceptor, s.context, next({ a: 1 }));
    expect(s.service.complete).not.toHaveBeenCalled();
    expect(s.service.release).toHaveBeenCalledTimes(1);

    const b = setup({ key: 'k1', status: 200 });
    await run(b.interceptor, b.context, next(Buffer.from('x')));
    expect(b.service.complete).not.toHaveBeenCalled();
    expect(b.service.release).toHaveBeenCalledTimes(1);
  });

  it('still answers when storing fails (and frees the key)', async () => {
    const s = setup({ key: 'k1' });
    s.service.complete.mockRejectedValueOnce(new Error('db down'));
    expect(await run(s.interceptor, s.context, next({ ok: true }))).toEqual({ ok: true });
    expect(s.service.release).toHaveBeenCalledTimes(1);
  });
});

describe('idempotencyHash', () => {
  it('is the body hash without params/query, and covers them otherwise', () => {
    const body = { a: 1 };
    expect(idempotencyHash({ body, params: {}, query: {} })).toBe(requestHash(body));
    const g1 = idempotencyHash({ body, params: { id: '1' }, query: {} });
    expect(g1).not.toBe(requestHash(body));
    expect(idempotencyHash({ body, params: { id: '2' }, query: {} })).not.toBe(g1);
    expect(idempotencyHash({ body, params: { id: '1' }, query: { x: '1' } })).not.toBe(g1);
  });
});
