import type { IncomingMessage } from 'node:http';
import { genRequestId, isValidRequestId } from './request-id.js';

const req = (value?: string | string[]): IncomingMessage =>
  ({ headers: value === undefined ? {} : { 'x-request-id': value } }) as unknown as IncomingMessage;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

describe('request ids', () => {
  it('accepts 1..128 chars of [A-Za-z0-9._:-]', () => {
    expect(isValidRequestId('a')).toBe(true);
    expect(isValidRequestId('abc.DEF_1:2-3')).toBe(true);
    expect(isValidRequestId('x'.repeat(128))).toBe(true);
    expect(isValidRequestId('x'.repeat(129))).toBe(false);
    expect(isValidRequestId('')).toBe(false);
    expect(isValidRequestId('has space')).toBe(false);
    expect(isValidRequestId('a\nb')).toBe(false);
    expect(isValidRequestId('<script>')).toBe(false);
    expect(isValidRequestId(undefined)).toBe(false);
  });

  it('keeps a valid incoming id and generates a UUID otherwise', () => {
    expect(genRequestId(req('trace-123'))).toBe('trace-123');
    expect(genRequestId(req('bad id'))).toMatch(UUID);
    expect(genRequestId(req(['a', 'b']))).toMatch(UUID);
    expect(genRequestId(req())).toMatch(UUID);
    expect(genRequestId(req())).not.toBe(genRequestId(req()));
  });
});
