import { MAX_DELIVERY_ATTEMPTS, nextAttemptDelay, RETRY_DELAYS_MS } from './retry-schedule.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;

describe('retry schedule', () => {
  it('has 7 retries totalling about a day', () => {
    expect(RETRY_DELAYS_MS).toEqual([5 * S, 5 * M, 30 * M, 2 * H, 5 * H, 10 * H, 10 * H]);
    const total = RETRY_DELAYS_MS.reduce((a, b) => a + b, 0);
    expect(total).toBeGreaterThan(24 * H);
    expect(total).toBeLessThan(30 * H);
    expect(MAX_DELIVERY_ATTEMPTS).toBe(8);
  });

  it.each(RETRY_DELAYS_MS.map((base, i) => [i + 1, base]))(
    'after %i attempt(s): between half of and the full %i ms',
    (attemptsMade, base) => {
      expect(nextAttemptDelay(attemptsMade, () => 0)).toBe(base / 2);
      expect(nextAttemptDelay(attemptsMade, () => 1)).toBe(base);
      expect(nextAttemptDelay(attemptsMade, () => 0.5)).toBe(0.75 * base);
      for (let i = 0; i < 50; i++) {
        const d = nextAttemptDelay(attemptsMade)!;
        expect(Number.isInteger(d)).toBe(true);
        expect(d).toBeGreaterThanOrEqual(base / 2);
        expect(d).toBeLessThanOrEqual(base);
      }
    },
  );

  it('is exhausted after the last retry', () => {
    expect(nextAttemptDelay(RETRY_DELAYS_MS.length + 1, () => 0)).toBeNull();
    expect(nextAttemptDelay(100, () => 1)).toBeNull();
  });

  it('rejects nonsensical attempt counts and clamps odd random values', () => {
    expect(() => nextAttemptDelay(0)).toThrow(RangeError);
    expect(() => nextAttemptDelay(1.5)).toThrow(RangeError);
    expect(nextAttemptDelay(1, () => 2)).toBe(5 * S);
    expect(nextAttemptDelay(1, () => -1)).toBe(2.5 * S);
  });
});
