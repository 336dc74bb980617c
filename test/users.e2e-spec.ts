import { AuthTokensService } from '#auth';
import type { Role } from '#core';
import { PasswordService, UsersService, type User } from '#users';
import { createTestApp, type TestApp } from '#testing';

const PASSWORD = 'correct-horse-battery';

/** The JSON bodies these tests read (user, page or problem). */
interface Body {
  [key: string]: unknown;
  id: string;
  code: string;
  detail: string;
  role: string;
  full_name: string;
  is_active: boolean;
  errors: unknown[];
  items: Array<{ id: string }>;
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
}

const json = (res: Response): Promise<Body> => res.json() as Promise<Body>;

describe('/users', () => {
  let t: TestApp;
  let users: UsersService;
  let seq = 0;

  async function makeUser(role: Role, password = PASSWORD): Promise<{ user: User; token: string }> {
    seq += 1;
    const user = await users.create({
      email: `${role}${seq}@example.com`,
      password,
      fullName: `${role} ${seq}`,
      role,
      emailVerified: true,
    });
    return { user, token: await tokenFor(user) };
  }

  async function tokenFor(user: Pick<User, 'id'>): Promise<string> {
    const fresh = await users.findById(user.id);
    return (await t.app.get(AuthTokensService).issue(fresh!)).access_token;
  }

  function call(method: string, path: string, token?: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    return t.request(`/api/v1${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  }

  async function row(id: string): Promise<Record<string, unknown>> {
    const [r] = await t.db.query('SELECT * FROM users WHERE id = $1', [id]);
    return r!;
  }

  let admin: { user: User; token: string };
  let instructor: { user: User; token: string };
  let student: { user: User; token: string };

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    users = t.app.get(UsersService);
    admin = await makeUser('admin');
    instructor = await makeUser('instructor');
    student = await makeUser('student');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('route × role matrix', () => {
    const someId = '00000000-0000-4000-8000-000000000000';
    // Every row has three entries: with fewer, jest would pass its `done` callback as `body`.
    const adminRoutes: Array<[string, string, unknown]> = [
      ['GET', '/users', undefined],
      ['GET', `/users/${someId}`, undefined],
      ['POST', '/users', { email: 'matrix@example.com', password: PASSWORD, full_name: 'Matrix' }],
      ['PATCH', `/users/${someId}`, { full_name: 'Matrix' }],
    ];

    it.each(adminRoutes)('%s %s: anonymous 401, student 403, instructor 403', async (method, path, body) => {
      const anon = await call(method, path, undefined, body);
      expect(anon.status).toBe(401);
      expect(anon.headers.get('content-type')).toContain('application/problem+json');
      for (const who of [student, instructor]) {
        const res = await call(method, path, who.token, body);
        expect(res.status).toBe(403);
        expect((await json(res)).code).toBe('forbidden');
      }
      const [{ n }] = await t.db.query<{ n: string }>(
        "SELECT count(*) AS n FROM users WHERE email = 'matrix@example.com'",
      );
      expect(Number(n)).toBe(0);
    });

    it('admin is allowed on every admin route', async () => {
      expect((await call('GET', '/users', admin.token)).status).toBe(200);
      expect((await call('GET', `/users/${student.user.id}`, admin.token)).status).toBe(200);
      const created = await call('POST', '/users', admin.token, {
        email: 'matrix-ok@example.com',
        password: PASSWORD,
        full_name: 'Matrix Ok',
      });
      expect(created.status).toBe(201);
      const { id } = await json(created);
      expect((await call('PATCH', `/users/${id}`, admin.token, { full_name: 'Renamed' })).status).toBe(200);
    });

    it.each(['GET', 'PATCH'])('%s /users/me is 401 for anonymous', async (method) => {
      const res = await call(method, '/users/me', undefined, method === 'PATCH' ? {} : undefined);
      expect(res.status).toBe(401);
    });

    it('GET /users/me returns the caller for every role', async () => {
      for (const who of [admin, instructor, student]) {
        const res = await call('GET', '/users/me', who.token);
        expect(res.status).toBe(200);
        const body = await json(res);
        expect(body).toEqual({
          id: who.user.id,
          email: who.user.email,
          full_name: who.user.fullName,
          role: who.user.role,
          is_active: true,
          mfa_enabled: false,
          created_at: expect.any(String),
          email_verified_at: expect.any(String),
        });
        expect(body).not.toHaveProperty('password_hash');
      }
    });
  });

  describe('PATCH /users/me', () => {
    it('changes full_name (trimmed) for any role', async () => {
      const me = await makeUser('instructor');
      const res = await call('PATCH', '/users/me', me.token, { full_name: '  New Name  ' });
      expect(res.status).toBe(200);
      expect((await json(res)).full_name).toBe('New Name');
      expect((await row(me.user.id)).full_name).toBe('New Name');
    });

    it.each([
      ['role', 'admin'],
      ['is_active', false],
      ['email_verified_at', null],
      ['email', 'evil@example.com'],
      ['token_version', 0],
      ['mfa_enabled', true],
    ])('rejects %s with 422 and changes nothing', async (field, value) => {
      const me = await makeUser('student');
      const before = await row(me.user.id);
      const res = await call('PATCH', '/users/me', me.token, { full_name: 'Sneaky Name', [field]: value });
      expect(res.status).toBe(422);
      const body = await json(res);
      expect(body.code).toBe('validation_failed');
      expect(body.errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field, code: 'whitelist_violation' })]),
      );
      expect(await row(me.user.id)).toEqual(before);
    });

    it('validates full_name and password lengths', async () => {
      const me = await makeUser('student');
      for (const body of [
        { full_name: 'x' },
        { full_name: 'x'.repeat(256) },
        { password: 'short', current_password: PASSWORD },
        { password: 'x'.repeat(129), current_password: PASSWORD },
      ]) {
        const res = await call('PATCH', '/users/me', me.token, body);
        expect(res.status).toBe(422);
      }
    });

    it('a password change needs current_password: missing 422, wrong 401 invalid_password', async () => {
      const me = await makeUser('student');
      const before = await row(me.user.id);
      const missing = await call('PATCH', '/users/me', me.token, { password: 'new-password-123' });
      expect(missing.status).toBe(422);
      expect((await json(missing)).errors).toEqual(
        expect.arrayContaining([expect.objectContaining({ field: 'current_password' })]),
      );
      const wrong = await call('PATCH', '/users/me', me.token, {
        password: 'new-password-123',
        current_password: 'not-my-password',
      });
      expect(wrong.status).toBe(401);
      expect((await json(wrong)).code).toBe('invalid_password');
      expect(await row(me.user.id)).toEqual(before);
      // The token still works: nothing was revoked.
      expect((await call('GET', '/users/me', me.token)).status).toBe(200);
    });

    it('a password change revokes the old tokens and the new password verifies', async () => {
      const me = await makeUser('student');
      const res = await call('PATCH', '/users/me', me.token, {
        password: 'brand-new-password',
        current_password: PASSWORD,
      });
      expect(res.status).toBe(200);
      expect((await call('GET', '/users/me', me.token)).status).toBe(401);
      const stored = await users.findByIdWithPassword(me.user.id);
      const passwords = t.app.get(PasswordService);
      expect(await passwords.verify('brand-new-password', stored!.passwordHash)).toBe(true);
      expect(await passwords.verify(PASSWORD, stored!.passwordHash)).toBe(false);
      // A token issued after the change works.
      expect((await call('GET', '/users/me', await tokenFor(me.user))).status).toBe(200);
    });

    it('null values are ignored', async () => {
      const me = await makeUser('student');
      const res = await call('PATCH', '/users/me', me.token, { full_name: null, password: null });
      expect(res.status).toBe(200);
      expect((await json(res)).full_name).toBe(me.user.fullName);
      expect((await call('GET', '/users/me', me.token)).status).toBe(200);
    });
  });

  describe('admin: list and get', () => {
    it('lists users newest first with the pagination shape', async () => {
      const res = await call('GET', '/users?page=1&page_size=2', admin.token);
      expect(res.status).toBe(200);
      const body = await json(res);
      const [{ n }] = await t.db.query<{ n: string }>('SELECT count(*) AS n FROM users');
      expect(body.total).toBe(Number(n));
      expect(body.page).toBe(1);
      expect(body.page_size).toBe(2);
      expect(body.total_pages).toBe(Math.ceil(Number(n) / 2));
      expect(body.items).toHaveLength(2);
      const expected = await t.db.query<{ id: string }>(
        'SELECT id FROM users ORDER BY created_at DESC, id DESC LIMIT 2',
      );
      expect(body.items.map((u: { id: string }) => u.id)).toEqual(expected.map((r) => r.id));
      const beyond = await json(await call('GET', '/users?page=999', admin.token));
      expect(beyond.items).toEqual([]);
    });

    it.each(['page_size=0', 'page_size=101', 'page_size=abc', 'page=0', 'page=-1', 'page=1.5'])(
      'GET /users?%s is 422',
      async (qs) => {
        const res = await call('GET', `/users?${qs}`, admin.token);
        expect(res.status).toBe(422);
        expect((await json(res)).code).toBe('validation_failed');
      },
    );

    it('GET /users/{id}: non-UUID 422 problem+json, unknown 404 "User not found"', async () => {
      const bad = await call('GET', '/users/not-a-uuid', admin.token);
      expect(bad.status).toBe(422);
      expect(bad.headers.get('content-type')).toContain('application/problem+json');
      expect((await json(bad)).code).toBe('validation_failed');
      const badPatch = await call('PATCH', '/users/123', admin.token, { full_name: 'Nope' });
      expect(badPatch.status).toBe(422);
      const unknown = await call('GET', '/users/6f1c1e2a-3b4c-4d5e-8f60-718293a4b5c6', admin.token);
      expect(unknown.status).toBe(404);
      const body = await json(unknown);
      expect(body.code).toBe('not_found');
      expect(body.detail).toBe('User not found');
      const unknownPatch = await call('PATCH', '/users/6f1c1e2a-3b4c-4d5e-8f60-718293a4b5c6', admin.token, {
        full_name: 'Nope',
      });
      expect(unknownPatch.status).toBe(404);
    });
  });

  describe('admin: create', () => {
    it.each(['instructor', 'admin'] as const)('creates an %s with a verified email', async (role) => {
      const res = await call('POST', '/users', admin.token, {
        email: `  New.${role}@Example.com `,
        password: PASSWORD,
        full_name: `New ${role}`,
        role,
      });
      expect(res.status).toBe(201);
      const body = await json(res);
      expect(body).toMatchObject({ email: `new.${role}@example.com`, role, is_active: true });
      expect(body.email_verified_at).toEqual(expect.any(String));
      const stored = await users.findByIdWithPassword(body.id);
      expect(await t.app.get(PasswordService).verify(PASSWORD, stored!.passwordHash)).toBe(true);
      // The new account works.
      expect((await call('GET', '/users/me', await tokenFor(stored!))).status).toBe(200);
    });

    it('defaults to student; duplicate email (any case) is 409 email_taken', async () => {
      const first = await call('POST', '/users', admin.token, {
        email: 'dup@example.com',
        password: PASSWORD,
        full_name: 'Dup One',
      });
      expect(first.status).toBe(201);
      expect((await json(first)).role).toBe('student');
      const again = await call('POST', '/users', admin.token, {
        email: 'DUP@example.com',
        password: PASSWORD,
        full_name: 'Dup Two',
      });
      expect(again.status).toBe(409);
      expect((await json(again)).code).toBe('email_taken');
    });

    it('validates the body', async () => {
      for (const body of [
        { email: 'not-an-email', password: PASSWORD, full_name: 'Valid Name' },
        { email: 'v1@example.com', password: 'short', full_name: 'Valid Name' },
        { email: 'v2@example.com', password: PASSWORD, full_name: 'V' },
        { email: 'v3@example.com', password: PASSWORD, full_name: 'Valid Name', role: 'superuser' },
        { email: 'v4@example.com', password: PASSWORD, full_name: 'Valid Name', is_active: false },
      ]) {
        const res = await call('POST', '/users', admin.token, body);
        expect(res.status).toBe(422);
      }
    });
  });

  describe('admin: update', () => {
    it('changes role and name; null values are ignored', async () => {
      const target = await makeUser('student');
      const res = await call('PATCH', `/users/${target.user.id}`, admin.token, {
        role: 'instructor',
        full_name: 'Promoted Person',
        is_active: null,
        password: null,
      });
      expect(res.status).toBe(200);
      expect(await json(res)).toMatchObject({ role: 'instructor', full_name: 'Promoted Person', is_active: true });
      expect((await row(target.user.id)).role).toBe('instructor');
      // Role is read from the database: the existing token now passes the instructor's checks.
      const me = await json(await call('GET', '/users/me', target.token));
      expect(me.role).toBe('instructor');
    });

    it('rejects unknown fields and bad values with 422', async () => {
      const target = await makeUser('student');
      for (const body of [{ email: 'x@example.com' }, { role: 'root' }, { is_active: 'no' }, { password: 'short' }]) {
        expect((await call('PATCH', `/users/${target.user.id}`, admin.token, body)).status).toBe(422);
      }
    });

    it("deactivation revokes the user's tokens", async () => {
      const target = await makeUser('student');
      expect((await call('GET', '/users/me', target.token)).status).toBe(200);
      const res = await call('PATCH', `/users/${target.user.id}`, admin.token, { is_active: false });
      expect(res.status).toBe(200);
      expect((await json(res)).is_active).toBe(false);
      expect((await call('GET', '/users/me', target.token)).status).toBe(401);
      // Reactivating does not bring the old token back.
      await call('PATCH', `/users/${target.user.id}`, admin.token, { is_active: true });
      expect((await call('GET', '/users/me', target.token)).status).toBe(401);
    });

    it("an admin-set password revokes the user's tokens and works", async () => {
      const target = await makeUser('instructor');
      const res = await call('PATCH', `/users/${target.user.id}`, admin.token, { password: 'admin-set-password' });
      expect(res.status).toBe(200);
      expect((await call('GET', '/users/me', target.token)).status).toBe(401);
      const stored = await users.findByIdWithPassword(target.user.id);
      expect(await t.app.get(PasswordService).verify('admin-set-password', stored!.passwordHash)).toBe(true);
    });

    it('an admin cannot demote or deactivate themself (409 self_demotion)', async () => {
      const other = await makeUser('admin');
      for (const body of [{ role: 'student' }, { role: 'instructor' }, { is_active: false }]) {
        const res = await call('PATCH', `/users/${other.user.id}`, other.token, body);
        expect(res.status).toBe(409);
        expect((await json(res)).code).toBe('self_demotion');
      }
      expect(await row(other.user.id)).toMatchObject({ role: 'admin', is_active: true });
      // Renaming oneself is fine.
      expect((await call('PATCH', `/users/${other.user.id}`, other.token, { full_name: 'Self Rename' })).status).toBe(
        200,
      );
    });

    it('the last active admin cannot be demoted or deactivated (409 last_admin)', async () => {
      // A fresh app: its database has exactly the admins this test makes.
      const t2 = await createTestApp({ workers: false });
      try {
        const u2 = t2.app.get(UsersService);
        const tokens = t2.app.get(AuthTokensService);
        const a = await u2.create({
          email: 'a@x.io',
          password: PASSWORD,
          fullName: 'Admin A',
          role: 'admin',
          emailVerified: true,
        });
        const b = await u2.create({
          email: 'b@x.io',
          password: PASSWORD,
          fullName: 'Admin B',
          role: 'admin',
          emailVerified: true,
        });
        const tokenA = (await tokens.issue((await u2.findById(a.id))!)).access_token;
        const patch = (id: string, body: unknown): Promise<Response> =>
          t2.request(`/api/v1/users/${id}`, {
            method: 'PATCH',
            headers: { authorization: `Bearer ${tokenA}`, 'content-type': 'application/json' },
            body: JSON.stringify(body),
          });
        // B can be demoted while A remains.
        expect((await patch(b.id, { role: 'student' })).status).toBe(200);
        // B back to admin, then deactivated: A is again the only active admin.
        expect((await patch(b.id, { role: 'admin' })).status).toBe(200);
        expect((await patch(b.id, { is_active: false })).status).toBe(200);
        // Now the service refuses removing A (whoever asks: e.g. a concurrent request by B before deactivation).
        await expect(u2.adminUpdate(a.id, { role: 'student' }, b.id)).rejects.toMatchObject({ code: 'last_admin' });
        await expect(u2.adminUpdate(a.id, { isActive: false })).rejects.toMatchObject({ code: 'last_admin' });
        const [ra] = await t2.db.query('SELECT role, is_active FROM users WHERE id = $1', [a.id]);
        expect(ra).toEqual({ role: 'admin', is_active: true });
        // Two admins demoting each other at once: exactly one succeeds.
        await u2.adminUpdate(b.id, { isActive: true });
        const results = await Promise.allSettled([
          u2.adminUpdate(a.id, { role: 'student' }, b.id),
          u2.adminUpdate(b.id, { role: 'student' }, a.id),
        ]);
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
        expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);
        const [{ n }] = await t2.db.query<{ n: string }>(
          "SELECT count(*) AS n FROM users WHERE role = 'admin' AND is_active",
        );
        expect(Number(n)).toBe(1);
      } finally {
        await t2.close();
      }
    });
  });

  it('documents the /users routes in OpenAPI under the users tag', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { paths: Record<string, Record<string, { tags?: string[] }>> };
    for (const [path, methods] of [
      ['/api/v1/users', ['get', 'post']],
      ['/api/v1/users/me', ['get', 'patch']],
      ['/api/v1/users/{id}', ['get', 'patch']],
    ] as const) {
      for (const m of methods) expect(doc.paths[path]?.[m]?.tags).toContain('users');
    }
  });
});
