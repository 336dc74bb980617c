import {
  BadRequestException,
  ConflictException,
  HttpException,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { codeForStatus, ProblemException, resolveProblem } from './problem.js';

const ctx = { instance: '/api/v1/x', requestId: 'req-1' };

function fastifyError(code: string, statusCode: number, message = 'boom'): Error {
  return Object.assign(new Error(message), { code, statusCode });
}

describe('resolveProblem', () => {
  it('renders a ProblemException with its code, detail, extras and headers', () => {
    const p = resolveProblem(
      new ProblemException(
        403,
        'prerequisites_not_met',
        'Complete the prerequisites first',
        { missing: ['a'] },
        {
          headers: { 'retry-after': '5' },
        },
      ),
      ctx,
    );
    expect(p.status).toBe(403);
    expect(p.headers).toEqual({ 'retry-after': '5' });
    expect(p.body).toEqual({
      type: 'https://lms.local/problems/prerequisites_not_met',
      title: 'Forbidden',
      status: 403,
      detail: 'Complete the prerequisites first',
      instance: '/api/v1/x',
      code: 'prerequisites_not_met',
      request_id: 'req-1',
      missing: ['a'],
    });
  });

  it('extra members cannot overwrite the standard ones', () => {
    const p = resolveProblem(
      new ProblemException(409, 'dup', 'Duplicate', { status: 200, code: 'x', request_id: 'y' }),
      ctx,
    );
    expect(p.body).toMatchObject({ status: 409, code: 'dup', request_id: 'req-1' });
  });

  it('keeps an HttpException message as detail and derives the code from the status', () => {
    expect(resolveProblem(new ConflictException('Email taken'), ctx).body).toMatchObject({
      status: 409,
      code: 'conflict',
      detail: 'Email taken',
      title: 'Conflict',
    });
    expect(resolveProblem(new NotFoundException(), ctx).body).toMatchObject({ code: 'not_found', detail: 'Not Found' });
    expect(resolveProblem(new BadRequestException(['a is bad', 'b is bad']), ctx).body.detail).toBe(
      'a is bad; b is bad',
    );
    expect(resolveProblem(new HttpException('Slow down', 429), ctx).body.code).toBe('rate_limited');
  });

  it.each([
    ['FST_ERR_CTP_INVALID_JSON_BODY', 400, 400, 'malformed_json'],
    ['FST_ERR_CTP_EMPTY_JSON_BODY', 400, 400, 'malformed_json'],
    ['FST_ERR_CTP_BODY_TOO_LARGE', 413, 413, 'payload_too_large'],
    ['FST_ERR_CTP_INVALID_MEDIA_TYPE', 415, 415, 'unsupported_media_type'],
  ])('maps the Fastify error %s (raw or wrapped by Nest) to %i', (code, statusCode, status, problemCode) => {
    const raw = fastifyError(code, statusCode);
    expect(resolveProblem(raw, ctx)).toMatchObject({ status, body: { code: problemCode } });
    const wrapped = new HttpException(raw.message, statusCode, { cause: raw });
    expect(resolveProblem(wrapped, ctx)).toMatchObject({ status, body: { code: problemCode } });
  });

  it('never leaks the message of an unexpected error', () => {
    const p = resolveProblem(new Error('password=hunter2 at db.ts:12'), ctx);
    expect(p.status).toBe(500);
    expect(p.body).toMatchObject({
      code: 'internal_error',
      detail: 'Internal server error',
      title: 'Internal Server Error',
    });
    expect(JSON.stringify(p.body)).not.toContain('hunter2');
    expect(resolveProblem('a string', ctx).status).toBe(500);
    expect(resolveProblem(null, ctx).status).toBe(500);
  });

  it('hides the message of a 5xx HttpException', () => {
    const p = resolveProblem(new ServiceUnavailableException('redis at 10.0.0.3 down'), ctx);
    expect(p.status).toBe(503);
    expect(p.body.detail).toBe('Service Unavailable');
    expect(resolveProblem(new HttpException('pg pool exhausted', 500), ctx).body.detail).toBe('Internal server error');
  });

  it('maps unknown 4xx statusCode errors by status without their message', () => {
    const p = resolveProblem(Object.assign(new Error('internal text'), { statusCode: 400 }), ctx);
    expect(p.body).toMatchObject({ status: 400, code: 'bad_request', detail: 'Bad Request' });
  });
});

describe('codeForStatus', () => {
  it('has stable codes and a fallback', () => {
    expect(codeForStatus(401)).toBe('unauthorized');
    expect(codeForStatus(405)).toBe('method_not_allowed');
    expect(codeForStatus(418)).toBe('http_418');
    expect(codeForStatus(599)).toBe('internal_error');
  });
});
