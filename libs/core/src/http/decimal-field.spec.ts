import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { DecimalField, parseDecimal } from './decimal-field.js';

class Body {
  @DecimalField({ minimum: 0, maximum: 100 }) score!: number;
}

describe('DecimalField', () => {
  it('parseDecimal: numeric strings become numbers; the rest is unchanged', () => {
    expect(['70.00', ' 7 ', '-1.5', '+2', '007.10'].map(parseDecimal)).toEqual([70, 7, -1.5, 2, 7.1]);
    for (const v of ['abc', '', '1e2', '1.', '.5', '0x10', 'Infinity', null, 5, true]) expect(parseDecimal(v)).toBe(v);
  });
  it('accepts numbers and numeric strings within the range and scale', () => {
    const check = (score: unknown): string[] =>
      validateSync(plainToInstance(Body, { score })).flatMap((e) => Object.keys(e.constraints ?? {}));
    expect(plainToInstance(Body, { score: '70.00' }).score).toBe(70);
    for (const ok of [0, 100, '70.00', '99.99', ' 5 ']) expect(check(ok)).toEqual([]);
    expect(check('abc')).toContain('isNumber');
    expect(check('100.01')).toEqual(['max']);
    expect(check('-0.01')).toEqual(['min']);
    expect(check('1.234')).toEqual(['isNumber']);
    expect(check('9'.repeat(400))).toContain('isNumber');
  });
});
