import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { findTextDefect, jsonDepthExceeds, MAX_JSON_DEPTH, textDefect } from './input-guard.js';
import { CodePointLength, codePointLength, JsonObjectMaxBytes, MaxCodePoints } from './validation-decorators.js';

describe('input guard', () => {
  it('textDefect: NUL and unpaired surrogates; paired surrogates and other text are fine', () => {
    expect(textDefect('a\u0000b')).toBe('nul_character');
    expect(textDefect('a\ud800b')).toBe('invalid_unicode');
    expect(textDefect('\udc00')).toBe('invalid_unicode');
    expect(textDefect('x\ud83d')).toBe('invalid_unicode');
    expect(textDefect('😀 ❤️ é \ufffd')).toBeUndefined();
    expect(textDefect('')).toBeUndefined();
  });

  it('findTextDefect: names the first bad value or key by its path, at any depth', () => {
    expect(findTextDefect({ a: 'ok', b: ['x', 'y\u0000'] })).toEqual({ field: 'b[1]', defect: 'nul_character' });
    expect(findTextDefect({ metadata: { ['k\ud800']: 1 } })).toEqual({
      field: 'metadata.k?',
      defect: 'invalid_unicode',
    });
    let deep: unknown = 'bad\u0000';
    for (let i = 0; i < 100_000; i += 1) deep = [deep];
    expect(findTextDefect({ deep })?.defect).toBe('nul_character');
    expect(findTextDefect('\u0000')).toEqual({ field: 'body', defect: 'nul_character' });
    expect(findTextDefect({ n: 1, b: true, z: null, s: 'fine' })).toBeUndefined();
    expect(findTextDefect(undefined)).toBeUndefined();
  });

  it('jsonDepthExceeds: counts nesting outside strings only', () => {
    const nested = (n: number): string => '['.repeat(n) + ']'.repeat(n);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH), MAX_JSON_DEPTH)).toBe(false);
    expect(jsonDepthExceeds(nested(MAX_JSON_DEPTH + 1), MAX_JSON_DEPTH)).toBe(true);
    expect(jsonDepthExceeds(`{"a":"${'['.repeat(100)}"}`, 2)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\"[[[[","b":[[1]]}`, 3)).toBe(false);
    expect(jsonDepthExceeds(`{"a":"\\\\","b":[[[1]]]}`, 3)).toBe(true);
  });
});

describe('code-point lengths (the unit of PostgreSQL varchar)', () => {
  class Dto {
    @MaxCodePoints(4) short?: string;
    @CodePointLength(2, 3) ranged?: string;
    @JsonObjectMaxBytes(32) meta?: unknown;
  }
  const failed = (plain: Record<string, unknown>): Record<string, string[]> =>
    Object.fromEntries(
      validateSync(plainToInstance(Dto, plain), { skipMissingProperties: true }).map((e) => [
        e.property,
        Object.keys(e.constraints ?? {}),
      ]),
    );

  it('codePointLength counts code points, as char_length() does', () => {
    expect(codePointLength('😀😀')).toBe(2);
    expect(codePointLength('❤️')).toBe(2);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('')).toBe(0);
  });

  it('MaxCodePoints and CodePointLength: emoji with variation selectors count twice, astral emoji once', () => {
    expect(failed({ short: '😀😀😀😀' })).toEqual({});
    expect(failed({ short: '❤️❤️❤️' })).toEqual({ short: ['maxLength'] });
    expect(failed({ ranged: '❤️' })).toEqual({});
    expect(failed({ ranged: '😀' })).toEqual({ ranged: ['isLength'] });
    expect(failed({ ranged: '❤️❤️' })).toEqual({ ranged: ['isLength'] });
    expect(failed({ short: 5 })).toEqual({ short: ['maxLength'] });
  });

  it('the messages stay those of class-validator', () => {
    const errors = validateSync(plainToInstance(Dto, { short: 'abcde', ranged: 'a' }), { skipMissingProperties: true });
    expect(errors.map((e) => Object.values(e.constraints ?? {})[0])).toEqual([
      'short must be shorter than or equal to 4 characters',
      'ranged must be longer than or equal to 2 characters',
    ]);
  });

  it('JsonObjectMaxBytes: a plain object whose JSON fits the byte cap', () => {
    expect(failed({ meta: { a: 'x' } })).toEqual({});
    expect(failed({ meta: { a: 'é'.repeat(13) } })).toEqual({ meta: ['smallJsonObject'] });
    expect(failed({ meta: [1] })).toEqual({ meta: ['smallJsonObject'] });
  });
});
