import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { isBlankQueryValue, parseQueryBoolean, QueryBoolean, QueryFilter } from './query-transforms.js';

class Query {
  @QueryBoolean() flag?: boolean;
  @QueryFilter() name?: string;
}

describe('parseQueryBoolean', () => {
  it.each(['true', 'TRUE', 'True', '1', 'yes', 'Yes', 'on', 'ON', 't', 'Y', ' true '])('%j → true', (v) => {
    expect(parseQueryBoolean(v)).toBe(true);
  });
  it.each(['false', 'False', '0', 'no', 'NO', 'off', 'Off', 'f', 'N'])('%j → false', (v) => {
    expect(parseQueryBoolean(v)).toBe(false);
  });
  it('blank → absent; anything else unchanged (then refused)', () => {
    expect(parseQueryBoolean('')).toBeUndefined();
    expect(parseQueryBoolean('  ')).toBeUndefined();
    for (const v of ['maybe', '2', 'yess', ['true', 'false'], true]) expect(parseQueryBoolean(v)).toBe(v);
  });
  it('QueryBoolean: converts, validates, optional', () => {
    expect(plainToInstance(Query, { flag: 'On' }).flag).toBe(true);
    const errors = (plain: Record<string, unknown>): string[] =>
      validateSync(plainToInstance(Query, plain)).map((e) => e.property);
    expect(errors({ flag: 'no' })).toEqual([]);
    expect(errors({})).toEqual([]);
    expect(errors({ flag: '' })).toEqual([]);
    expect(errors({ flag: 'maybe' })).toEqual(['flag']);
  });
});

describe('QueryFilter', () => {
  it('a blank value is absent, others pass unchanged', () => {
    expect(isBlankQueryValue(' ')).toBe(true);
    expect(isBlankQueryValue('x')).toBe(false);
    expect(plainToInstance(Query, { name: '' }).name).toBeUndefined();
    expect(plainToInstance(Query, { name: ' a ' }).name).toBe(' a ');
  });
});
