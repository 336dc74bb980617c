import { describe, expect, it } from '@jest/globals';
import { assertValidKey, assertValidRange, InvalidStorageKeyError } from './storage-key.js';

describe('assertValidKey', () => {
  it('accepts relative slash-separated keys', () => {
    for (const key of ['uploads/0b6c7d2e-1f7a-4c55-9a55-2f1a0e7b9c11.pdf', 'certificates/2026/x.pdf', 'a', 'a.b/c..d'])
      expect(() => assertValidKey(key)).not.toThrow();
  });

  it.each([
    ['', 'empty'],
    ['../x', '".." segment'],
    ['uploads/../../etc/passwd', '".." segment'],
    ['./x', '"." segment'],
    ['/etc/passwd', 'absolute path'],
    ['C:/x', 'absolute path'],
    ['uploads\\x.pdf', 'backslash'],
    ['uploads/a\0b', 'control character'],
    ['uploads/a\nb', 'control character'],
    ['a//b', 'empty path segment'],
    ['a/', 'empty path segment'],
    ['x'.repeat(1025), 'longer than 1024 characters'],
    ['.tmp/abc', 'reserved for temporary files'],
  ])('refuses %j (%s)', (key, reason) => {
    expect(() => assertValidKey(key)).toThrow(InvalidStorageKeyError);
    expect(() => assertValidKey(key)).toThrow(reason);
  });

  it('accepts temporary keys only when asked to', () => {
    expect(() => assertValidKey('.tmp/abc', { allowTemp: true })).not.toThrow();
  });
});

describe('assertValidRange', () => {
  it('accepts inclusive ranges and refuses inverted, negative or fractional ones', () => {
    expect(() => assertValidRange({ start: 0, end: 0 })).not.toThrow();
    expect(() => assertValidRange({ start: 3, end: 2 })).toThrow(RangeError);
    expect(() => assertValidRange({ start: -1, end: 2 })).toThrow(RangeError);
    expect(() => assertValidRange({ start: 0.5, end: 2 })).toThrow(RangeError);
  });
});
