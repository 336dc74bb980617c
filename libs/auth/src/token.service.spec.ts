import { createHmac } from 'node:crypto';
import { JwtService } from '@nestjs/jwt';
import { loadConfig, type AppConfig } from '#core';
import { createJwtKey, issuedInThePast, jwtVerifyOptions, TokenService } from './token.service.js';

const SECRET = 'unit-test-secret-key-0123456789abcdef-0123';

function service(env: Record<string, string> = {}): { tokens: TokenService; config: AppConfig } {
  const config = loadConfig({ SECRET_KEY: SECRET, ...env });
  const jwt = new JwtService({
    secret: createJwtKey(config),
    signOptions: { algorithm: 'HS256' },
    verifyOptions: jwtVerifyOptions(config),
  });
  return { tokens: new TokenService(config, jwt), config };
}

const b64 = (v: unknown): string => Buffer.from(JSON.stringify(v)).toString('base64url');
function craft(claims: Record<string, unknown>): string {
  const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(claims)}`;
  return `${input}.${createHmac('sha256', SECRET).update(input).digest('base64url')}`;
}
const now = (): number => Math.floor(Date.now() / 1000);
const decode = (token: string): Record<string, unknown> =>
  JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as Record<string, unknown>;

describe('TokenService', () => {
  it('mints iss and aud (configurable) into every token and verifies them', () => {
    const { tokens } = service({ JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'lms-mobile' });
    const { token } = tokens.sign('mfa_challenge', 'user-1');
    expect(decode(token)).toMatchObject({ iss: 'https://auth.example', aud: 'lms-mobile', typ: 'mfa_challenge' });
    expect(tokens.verify(token, 'mfa_challenge').sub).toBe('user-1');
    // Another deployment (other issuer or audience) with the same key refuses it.
    expect(() => service({ JWT_ISSUER: 'lms' }).tokens.verify(token, 'mfa_challenge')).toThrow(
      expect.objectContaining({ code: 'invalid_token' }),
    );
    expect(() =>
      service({ JWT_ISSUER: 'https://auth.example', JWT_AUDIENCE: 'lms-api' }).tokens.verify(token, 'mfa_challenge'),
    ).toThrow(expect.objectContaining({ code: 'invalid_token' }));
  });

  it.each([
    ['another audience', { aud: 'other' }],
    ['no audience', { aud: undefined }],
    ['another issuer', { iss: 'other' }],
    ['no iat', { iat: undefined }],
    ['an iat beyond the clock skew', { iat: now() + 31 }],
    ['an nbf beyond the clock skew', { nbf: now() + 31 }],
  ])('refuses %s as invalid_token', (_label, overrides) => {
    const { tokens } = service();
    const claims = { iss: 'lms', aud: 'lms-api', sub: 'u', jti: 'j', typ: 'refresh', iat: now(), exp: now() + 60 };
    expect(tokens.verify(craft(claims), 'refresh').sub).toBe('u'); // control
    expect(() => tokens.verify(craft({ ...claims, ...overrides }), 'refresh')).toThrow(
      expect.objectContaining({ status: 401, code: 'invalid_token', detail: 'Could not validate credentials' }),
    );
  });

  it('allows iat/nbf within JWT_CLOCK_SKEW_SECONDS; the expiry gets no tolerance', () => {
    const { tokens } = service({ JWT_CLOCK_SKEW_SECONDS: '5' });
    const claims = { iss: 'lms', aud: 'lms-api', sub: 'u', jti: 'j', typ: 'refresh', iat: now() + 4, nbf: now() + 4 };
    expect(tokens.verify(craft({ ...claims, exp: now() + 60 }), 'refresh').sub).toBe('u');
    expect(() => tokens.verify(craft({ ...claims, iat: now() + 7, exp: now() + 60 }), 'refresh')).toThrow(
      expect.objectContaining({ code: 'invalid_token' }),
    );
    expect(() =>
      tokens.verify(craft({ ...claims, iat: now() - 60, nbf: undefined, exp: now() - 1 }), 'refresh'),
    ).toThrow(expect.objectContaining({ code: 'token_expired' }));
  });

  it('mint() is deterministic: the same id and lifetime give the same token', () => {
    const { tokens } = service();
    const identity = { jti: '0b7c5a9e-1111-4222-8333-944455556666', iat: now(), exp: now() + 600 };
    const a = tokens.mint('password_reset', 'user-1', identity, { ver: 3 });
    const b = tokens.mint('password_reset', 'user-1', identity, { ver: 3 });
    expect(a.token).toBe(b.token);
    expect(tokens.verify(a.token, 'password_reset')).toMatchObject({ jti: identity.jti, ver: 3 });
  });
});

describe('issuedInThePast', () => {
  it('requires a numeric iat and checks nbf when present', () => {
    expect(issuedInThePast({ iat: 100 }, 100, 0)).toBe(true);
    expect(issuedInThePast({ iat: 101 }, 100, 0)).toBe(false);
    expect(issuedInThePast({ iat: 130, nbf: 130 }, 100, 30)).toBe(true);
    expect(issuedInThePast({ iat: 100, nbf: 131 }, 100, 30)).toBe(false);
    expect(issuedInThePast({ iat: '100' }, 100, 30)).toBe(false);
    expect(issuedInThePast({ iat: 100, nbf: 'x' }, 100, 30)).toBe(false);
  });
});
