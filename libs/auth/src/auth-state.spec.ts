import { jest } from '@jest/globals';
import type { DataSource } from 'typeorm';
import type { AppConfig } from '#core';
import type { AccessTokenBlacklist } from './access-token-blacklist.js';
import { AuthStateReader } from './auth-state.js';

type AsyncMock = jest.Mock<(...args: unknown[]) => Promise<unknown>>;
const fn = (): AsyncMock => jest.fn<(...args: unknown[]) => Promise<unknown>>();

const USER = '0b6f1d2e-3c4a-4b5c-8d6e-7f8091a2b3c4';
const JTI = '9a8b7c6d-5e4f-4a3b-9c2d-1e0f9a8b7c6d';
const ROW = {
  id: USER,
  email: 'a@x.io',
  role: 'student',
  is_active: true,
  token_version: 3,
  email_verified_at: null,
  revoked: false,
};

interface Setup {
  query?: AsyncMock;
  blacklistEnabled?: boolean;
  failClosed?: boolean;
}

function reader(s: Setup = {}) {
  const query = s.query ?? fn().mockResolvedValue({ rows: [ROW] });
  const r = new AuthStateReader(
    { driver: { master: { query } } } as unknown as DataSource,
    { ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED: s.failClosed ?? true } as AppConfig,
    { enabled: s.blacklistEnabled ?? true } as unknown as AccessTokenBlacklist,
  );
  return { r, query };
}

describe('AuthStateReader', () => {
  it('one named statement returns the user and the revocation flag (no Redis on this path)', async () => {
    const { r, query } = reader({
      query: fn().mockResolvedValue({ rows: [{ ...ROW, revoked: true }] }),
    });
    await expect(r.read(USER, JTI)).resolves.toEqual({
      user: { id: USER, email: 'a@x.io', role: 'student', isActive: true, tokenVersion: 3, emailVerifiedAt: null },
      revoked: true,
    });
    expect(query).toHaveBeenCalledTimes(1);
    expect(query.mock.calls[0]![0]).toMatchObject({ name: expect.stringMatching(/^lms_/), values: [USER, JTI] });
    expect((query.mock.calls[0]![0] as { text: string }).text).toContain('revoked_access_tokens');
  });

  it('no such user: user null, not revoked', async () => {
    const { r } = reader({ query: fn().mockResolvedValue({ rows: [] }) });
    await expect(r.read(USER, JTI)).resolves.toEqual({ user: null, revoked: false });
  });

  it('ids that are not UUIDs never reach the database', async () => {
    const { r, query } = reader();
    await expect(r.read('not-a-uuid', JTI)).resolves.toEqual({ user: null, revoked: false });
    await expect(r.read(USER, "x' OR 1=1")).resolves.toEqual({ user: null, revoked: false });
    expect(query).not.toHaveBeenCalled();
  });

  it('PostgreSQL blacklist unreachable: 401 revocation_unavailable when failing closed, the error otherwise', async () => {
    const down = (): AsyncMock => fn().mockRejectedValue(new Error('connection refused'));
    await expect(reader({ query: down() }).r.read(USER, JTI)).rejects.toMatchObject({
      status: 401,
      code: 'revocation_unavailable',
    });
    await expect(reader({ query: down(), failClosed: false }).r.read(USER, JTI)).rejects.toThrow('connection refused');
  });

  it('blacklist disabled: the user statement alone, never revoked', async () => {
    const { r, query } = reader({ blacklistEnabled: false });
    await expect(r.read(USER, JTI)).resolves.toMatchObject({ user: { id: USER }, revoked: false });
    expect(query.mock.calls[0]![0]).toMatchObject({ name: expect.stringMatching(/^lms_/), values: [USER] });
    expect((query.mock.calls[0]![0] as { text: string }).text).not.toContain('revoked_access_tokens');
  });
});
