import { Readable } from 'node:stream';
import { StreamableFile } from '@nestjs/common';
import { isEnvelope, shouldEnvelope, type EnvelopeInput } from './envelope.js';
import { createPathMatcher } from './path-matcher.js';

const excluded = createPathMatcher(['/docs', '/metrics', '/api/v1/health']);
const base: EnvelopeInput = {
  status: 200,
  method: 'GET',
  contentType: undefined,
  path: '/api/v1/courses',
  body: { a: 1 },
};
const check = (over: Partial<EnvelopeInput>): boolean => shouldEnvelope({ ...base, ...over }, excluded);

describe('envelope rules', () => {
  it('wraps JSON objects, arrays and scalars on 2xx/3xx', () => {
    expect(check({})).toBe(true);
    expect(check({ body: [1, 2] })).toBe(true);
    expect(check({ body: 0 })).toBe(true);
    expect(check({ body: false })).toBe(true);
    expect(check({ status: 201, contentType: 'application/json; charset=utf-8' })).toBe(true);
    expect(check({ status: 302 })).toBe(true);
  });

  it('skips errors, 204, HEAD, non-JSON, null/undefined, strings, bytes and streams', () => {
    expect(check({ status: 400 })).toBe(false);
    expect(check({ status: 500 })).toBe(false);
    expect(check({ status: 204 })).toBe(false);
    expect(check({ method: 'HEAD' })).toBe(false);
    expect(check({ contentType: 'text/csv' })).toBe(false);
    expect(check({ body: null })).toBe(false);
    expect(check({ body: undefined })).toBe(false);
    expect(check({ body: 'text' })).toBe(false);
    expect(check({ body: Buffer.from('x') })).toBe(false);
    expect(check({ body: Readable.from(['x']) })).toBe(false);
    expect(check({ body: new StreamableFile(Buffer.from('x')) })).toBe(false);
  });

  it('skips payloads that already are envelopes', () => {
    expect(isEnvelope({ success: false, data: null, message: 'x' })).toBe(true);
    expect(check({ body: { success: true, data: 1, message: 'm' } })).toBe(false);
    expect(check({ body: { success: true, data: 1 } })).toBe(true);
  });

  it('excludes paths exactly or by prefix + "/" only', () => {
    expect(check({ path: '/docs' })).toBe(false);
    expect(check({ path: '/docs/swagger.css' })).toBe(false);
    expect(check({ path: '/api/v1/health' })).toBe(false);
    expect(check({ path: '/api/v1/healthy' })).toBe(true);
    expect(check({ path: '/docsx' })).toBe(true);
    expect(createPathMatcher([])('/docs')).toBe(false);
  });
});
