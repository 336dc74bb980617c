import { captureLogLines } from '#testing';
import { loadConfig } from '../config/load-config.js';
import { createRootLogger } from './logger.js';

describe('createRootLogger', () => {
  const config = loadConfig({ ENVIRONMENT: 'test', LOG_LEVEL: 'info' });

  it('emits JSON lines with the service name and environment', () => {
    const { stream, lines } = captureLogLines();
    createRootLogger(config, 'lms-unit', stream).info({ userId: 'u1' }, 'hello');
    const [line] = lines();
    expect(line).toMatchObject({ msg: 'hello', service: 'lms-unit', env: 'test', userId: 'u1', level: 30 });
    expect(typeof line?.time).toBe('string');
  });

  it('redacts authorization and cookie headers of requests and set-cookie of responses', () => {
    const { stream, lines } = captureLogLines();
    createRootLogger(config, 'lms-unit', stream).info(
      {
        req: {
          method: 'GET',
          url: '/api/v1/users/me',
          headers: { authorization: 'Bearer eyJhbGciOi.secret.jwt', cookie: 'access_token=abc', host: 'x' },
        },
        res: { headers: { 'set-cookie': 'access_token=abc; HttpOnly' } },
      },
      'request',
    );
    const raw = JSON.stringify(lines());
    expect(raw).not.toContain('eyJhbGciOi');
    expect(raw).not.toContain('access_token=abc');
    const [line] = lines() as Array<{
      req: { headers: Record<string, string>; url: string };
      res: { headers: Record<string, string> };
    }>;
    expect(line?.req.headers.authorization).toBe('[REDACTED]');
    expect(line?.req.headers.cookie).toBe('[REDACTED]');
    expect(line?.req.headers.host).toBe('x');
    expect(line?.req.url).toBe('/api/v1/users/me');
    expect(line?.res.headers['set-cookie']).toBe('[REDACTED]');
  });

  it('redacts password and token fields at the top level and nested', () => {
    const { stream, lines } = captureLogLines();
    createRootLogger(config, 'lms-unit', stream).info(
      {
        password: 'top-secret-1',
        body: { email: 'a@b.c', password: 'top-secret-2', new_password: 'top-secret-3' },
        tokens: { access_token: 'top-secret-4', refresh_token: 'top-secret-5' },
        payload: { user: { token: 'top-secret-6' } },
      },
      'login',
    );
    const raw = JSON.stringify(lines());
    expect(raw).not.toMatch(/top-secret/);
    const [line] = lines() as Array<{
      password: string;
      body: Record<string, string>;
      tokens: Record<string, string>;
      payload: { user: Record<string, string> };
    }>;
    expect(line?.password).toBe('[REDACTED]');
    expect(line?.body).toEqual({ email: 'a@b.c', password: '[REDACTED]', new_password: '[REDACTED]' });
    expect(line?.tokens).toEqual({ access_token: '[REDACTED]', refresh_token: '[REDACTED]' });
    expect(line?.payload.user.token).toBe('[REDACTED]');
  });
});
