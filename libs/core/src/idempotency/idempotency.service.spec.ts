import { canonicalJson, isValidIdempotencyKey, requestHash } from './idempotency.service.js';

describe('canonicalJson / requestHash', () => {
  it('sorts object keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
    expect(canonicalJson([2, 1])).not.toBe(canonicalJson([1, 2]));
  });

  it('matches JSON for scalars, drops undefined members, uses toJSON', () => {
    expect(canonicalJson('x"y')).toBe('"x\\"y"');
    expect(canonicalJson(1.5)).toBe('1.5');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(undefined)).toBe('null');
    expect(canonicalJson({ a: undefined, b: 1 })).toBe('{"b":1}');
    expect(canonicalJson([undefined])).toBe('[null]');
    expect(canonicalJson({ at: new Date('2020-01-02T03:04:05.000Z') })).toBe('{"at":"2020-01-02T03:04:05.000Z"}');
  });

  it('hashes independently of key order, differently for different bodies', () => {
    const h = requestHash({ title: 'A', price: 10, tags: ['x'] });
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(requestHash({ tags: ['x'], price: 10, title: 'A' })).toBe(h);
    expect(requestHash({ title: 'A', price: 11, tags: ['x'] })).not.toBe(h);
    expect(requestHash({ title: 'A', price: '10', tags: ['x'] })).not.toBe(h);
    expect(requestHash(undefined)).toBe(requestHash(null));
  });
});

describe('isValidIdempotencyKey', () => {
  it('accepts 1-255 of [A-Za-z0-9_.:-]', () => {
    expect(isValidIdempotencyKey('a')).toBe(true);
    expect(isValidIdempotencyKey('Az09_.:-')).toBe(true);
    expect(isValidIdempotencyKey('x'.repeat(255))).toBe(true);
    expect(isValidIdempotencyKey('3f1c2b9e-8d7a-4c1b-9e2f-0a1b2c3d4e5f')).toBe(true);
  });

  it.each([[''], ['x'.repeat(256)], ['a b'], ['a/b'], ['é'], ['a\n'], ['a,b']])('rejects %p', (key) => {
    expect(isValidIdempotencyKey(key)).toBe(false);
  });
});
