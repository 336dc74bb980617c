import { Writable } from 'node:stream';
import pino from 'pino';
import { TypeOrmPinoLogger } from './typeorm-logger.js';

function capture(): { logger: pino.Logger; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return {
    logger,
    lines: () =>
      chunks
        .join('')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l)),
  };
}

describe('TypeOrmPinoLogger', () => {
  it('logs failed queries as warnings without their parameters', () => {
    const { logger, lines } = capture();
    const log = new TypeOrmPinoLogger(logger, false);
    const err = Object.assign(new Error('duplicate key value violates unique constraint'), { code: '23505' });
    log.logQueryError(err, 'INSERT INTO "users"("email", "password_hash") VALUES ($1, $2)', [
      'ada@example.com',
      '$2b$12$secrethashvalue',
    ]);
    const [line] = lines();
    expect(line).toMatchObject({ level: 40, code: '23505', msg: 'query failed' });
    expect(JSON.stringify(line)).not.toContain('secrethashvalue');
    expect(JSON.stringify(line)).not.toContain('ada@example.com');
  });

  it('echoes queries only when DB_ECHO is on, and never their parameters', () => {
    const quiet = capture();
    new TypeOrmPinoLogger(quiet.logger, false).logQuery('SELECT 1', ['x']);
    expect(quiet.lines()).toEqual([]);
    const loud = capture();
    new TypeOrmPinoLogger(loud.logger, true).logQuery('SELECT * FROM users WHERE email = $1', ['bob@example.com']);
    expect(loud.lines()).toHaveLength(1);
    expect(JSON.stringify(loud.lines())).not.toContain('bob@example.com');
  });
});
