import { jest } from '@jest/globals';
import { QueryFailedError } from 'typeorm';
import { DependencyOutageTracker, isDependencyUnavailable } from './dependency-outage.js';

const withCode = (code: string, message = 'x'): Error => Object.assign(new Error(message), { code });

describe('isDependencyUnavailable', () => {
  it('recognises lost or refused connections of pg, pg-pool, Node and ioredis, also wrapped', () => {
    for (const error of [
      withCode('57P01', 'terminating connection due to administrator command'),
      withCode('08006'),
      withCode('53300', 'sorry, too many clients already'),
      withCode('ECONNREFUSED'),
      new Error('Connection terminated unexpectedly'),
      new Error('timeout exceeded when trying to connect'),
      new Error('Connection is closed.'),
      Object.assign(new Error('Reached the max retries per request limit (which is 1).'), {
        name: 'MaxRetriesPerRequestError',
      }),
      new QueryFailedError('SELECT 1', [], withCode('57P01')),
      new Error('outer', { cause: withCode('ECONNRESET') }),
    ]) {
      expect(isDependencyUnavailable(error)).toBe(true);
    }
  });

  it('leaves bugs and client errors alone', () => {
    for (const error of [
      new Error('boom'),
      new TypeError('x is undefined'),
      withCode('23505', 'duplicate key value'),
      withCode('42P01', 'relation does not exist'),
      new QueryFailedError('SELECT', [], withCode('22P02')),
      null,
      'string',
    ]) {
      expect(isDependencyUnavailable(error)).toBe(false);
    }
  });
});

describe('DependencyOutageTracker', () => {
  it('logs and reports the first failure of an outage, a summary while it lasts, one line when it is over', () => {
    jest.useFakeTimers();
    try {
      let now = 0;
      const lines: Array<{ level: string; msg: string; obj: Record<string, unknown> }> = [];
      const logger = {
        warn: (obj: object, msg: string) => lines.push({ level: 'warn', msg, obj: obj as Record<string, unknown> }),
        info: (obj: object, msg: string) => lines.push({ level: 'info', msg, obj: obj as Record<string, unknown> }),
      };
      const reported: unknown[] = [];
      const tracker = new DependencyOutageTracker(
        logger,
        (e) => reported.push(e),
        1000,
        5000,
        () => now,
      );
      const error = withCode('57P01');
      for (let i = 0; i < 100; i += 1) {
        tracker.record(error, { route: '/x' });
        now += 10; // 100 failures within a second
      }
      expect(lines.map((l) => l.msg)).toEqual(['dependency unavailable: answering 503 until it is back']);
      expect(reported).toEqual([error]);
      now += 5000;
      tracker.record(error, {});
      expect(lines.at(-1)).toMatchObject({ msg: 'dependency still unavailable', obj: { failed_requests: 101 } });
      now += 2000;
      jest.advanceTimersByTime(2000);
      expect(lines.at(-1)).toMatchObject({ level: 'info', obj: { failed_requests: 101 } });
      // A new outage starts over (logged and reported again).
      tracker.record(error, {});
      expect(lines.at(-1)!.msg).toBe('dependency unavailable: answering 503 until it is back');
      expect(reported).toHaveLength(2);
      tracker.flush();
    } finally {
      jest.useRealTimers();
    }
  });
});
