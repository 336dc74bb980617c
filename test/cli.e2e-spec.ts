import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { Logger } from 'pino';
import { AuthTokensService } from '#auth';
import { AppConfig, startEmbeddedPostgres } from '#core';
import { AdminBootstrapService, CREATE_ADMIN_HINT, DEMO_ACCOUNTS, PasswordService, UsersService } from '#users';
import { createTestApp, freePort, testConfig, type TestApp } from '#testing';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, runCli, USAGE } from '../apps/api/src/cli.js';

const PASSWORD = 'cli-admin-password';

function captureIo(): { out: string[]; err: string[]; io: { out(l: string): void; err(l: string): void } } {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, io: { out: (l) => out.push(l), err: (l) => err.push(l) } };
}

async function adminCount(t: TestApp): Promise<number> {
  const [{ n }] = await t.db.query<{ n: string }>("SELECT count(*) AS n FROM users WHERE role = 'admin'");
  return Number(n);
}

describe('CLI: create-admin', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false });
  });
  afterAll(async () => {
    await t?.close();
  });

  const cli = (argv: string[], c = captureIo()) =>
    runCli(argv, { io: c.io, config: t.config, databaseUrl: t.db.url }).then((code) => ({ code, ...c }));

  it('prints usage for no command, help and unknown commands', async () => {
    const none = await cli([]);
    expect(none.code).toBe(EXIT_USAGE);
    expect(none.err.join('\n')).toContain('Usage: npm run cli -- <command>');
    const unknown = await cli(['make-coffee']);
    expect(unknown.code).toBe(EXIT_USAGE);
    expect(unknown.err.join('\n')).toContain('Unknown command: make-coffee');
    const help = await cli(['help']);
    expect(help.code).toBe(EXIT_OK);
    expect(help.out.join('\n')).toContain('create-admin --email');
  });

  it.each([
    [['--password', PASSWORD], '--email is required'],
    [['--email', 'nope', '--password', PASSWORD], 'not a valid email'],
    [['--email', 'a@example.com'], '--password is required'],
    [['--email', 'a@example.com', '--password', 'short'], '8-128'],
    [['--email', 'a@example.com', '--password', 'x'.repeat(129)], '8-128'],
    [['--email', 'a@example.com', '--password', PASSWORD, '--name', 'x'], '--name'],
    [['--email', 'a@example.com', '--password', PASSWORD, '--role', 'x'], "Unknown option '--role'"],
  ])('create-admin %j exits 2 with a clear message', async (args, message) => {
    const r = await cli(['create-admin', ...args]);
    expect(r.code).toBe(EXIT_USAGE);
    expect(r.err[0]).toContain(message);
    expect(await adminCount(t)).toBe(0);
  });

  it('creates a verified admin, prints id and email but never the password; the account works', async () => {
    const r = await cli(['create-admin', '--email', 'Root@Example.com', '--password', PASSWORD, '--name', 'Root User']);
    expect(r.code).toBe(EXIT_OK);
    const [row] = await t.db.query<{
      id: string;
      email: string;
      role: string;
      full_name: string;
      email_verified_at: Date;
    }>("SELECT id, email, role, full_name, email_verified_at FROM users WHERE email = 'root@example.com'");
    expect(row).toMatchObject({ role: 'admin', full_name: 'Root User', email: 'root@example.com' });
    expect(row!.email_verified_at).toBeInstanceOf(Date);
    const printed = [...r.out, ...r.err].join('\n');
    expect(printed).toContain(row!.id);
    expect(printed).toContain('root@example.com');
    expect(printed).not.toContain(PASSWORD);

    // Hashing is the API's: the password verifies, and the admin can use the admin routes.
    const users = t.app.get(UsersService);
    const stored = await users.findByIdWithPassword(row!.id);
    expect(await t.app.get(PasswordService).verify(PASSWORD, stored!.passwordHash)).toBe(true);
    const token = (await t.app.get(AuthTokensService).issue(stored!)).access_token;
    const res = await t.request('/api/v1/users', { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
  });

  it('an existing email exits 1 "already exists"; --promote makes that user an admin', async () => {
    const users = t.app.get(UsersService);
    const student = await users.create({
      email: 'promote-me@example.com',
      password: 'student-password',
      fullName: 'Student',
      role: 'student',
      emailVerified: true,
    });
    const dup = await cli(['create-admin', '--email', 'promote-me@example.com', '--password', PASSWORD]);
    expect(dup.code).toBe(EXIT_FAILURE);
    expect(dup.err.join('\n')).toContain('already exists');
    expect((await users.findById(student.id))!.role).toBe('student');

    const promoted = await cli([
      'create-admin',
      '--email',
      'PROMOTE-ME@example.com',
      '--password',
      PASSWORD,
      '--promote',
    ]);
    expect(promoted.code).toBe(EXIT_OK);
    expect(promoted.out.join('\n')).toContain(student.id);
    expect((await users.findById(student.id))!.role).toBe('admin');
    // The password is left unchanged.
    const stored = await users.findByIdWithPassword(student.id);
    expect(await t.app.get(PasswordService).verify('student-password', stored!.passwordHash)).toBe(true);
  });

  it('opens the database itself from DATABASE_URL (migrations run first)', async () => {
    const c = captureIo();
    const code = await runCli(['create-admin', '--email', 'via-url@example.com', '--password', PASSWORD], {
      io: c.io,
      config: testConfig({ DATABASE_URL: t.db.url }),
    });
    expect(code).toBe(EXIT_OK);
    const rows = await t.db.query("SELECT role FROM users WHERE email = 'via-url@example.com'");
    expect(rows).toEqual([{ role: 'admin' }]);
  });
});

describe('CLI help agrees with what the CLI does', () => {
  it('says create-admin works while the API runs, and it does: it uses the running embedded server', async () => {
    expect(USAGE).not.toMatch(/stop the running API/i);
    expect(USAGE).toMatch(/while the API runs\s+\(npm start\) the command uses its server/);

    // "The API runs": a live process (this one) holds the embedded PostgreSQL of DATA_DIR.
    const dataDir = mkdtempSync(join(tmpdir(), 'lms-cli-running-'));
    chmodSync(dataDir, 0o755);
    const port = await freePort();
    const running = await startEmbeddedPostgres({ dataDir: join(dataDir, 'pg'), port, database: 'lms' });
    try {
      const c = captureIo();
      const code = await runCli(['create-admin', '--email', 'while-running@example.com', '--password', PASSWORD], {
        io: c.io,
        config: testConfig({ DATA_DIR: dataDir, EMBEDDED_PG_PORT: String(port) }),
      });
      expect(c.err).toEqual([]);
      expect(code).toBe(EXIT_OK);
      const client = new pg.Client({ connectionString: running.url });
      await client.connect();
      try {
        const { rows } = await client.query("SELECT role FROM users WHERE email = 'while-running@example.com'");
        expect(rows).toEqual([{ role: 'admin' }]);
      } finally {
        await client.end();
      }
    } finally {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('first admin on boot (AdminBootstrapService)', () => {
  const env = { BOOTSTRAP_ADMIN_EMAIL: 'Boot@Example.com', BOOTSTRAP_ADMIN_PASSWORD: 'bootstrap-password' };

  function fakeLogger(): { logger: Logger; lines: string[] } {
    const lines: string[] = [];
    const record = (...args: unknown[]): void => {
      lines.push(args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' '));
    };
    const logger = { info: record, warn: record, error: record, debug: record } as unknown as Logger;
    (logger as unknown as { child: () => Logger }).child = () => logger;
    return { logger, lines };
  }

  it('creates the env admin once, under concurrent calls and restarts, without logging the password', async () => {
    const t = await createTestApp({ workers: false, env });
    try {
      const { logger, lines } = fakeLogger();
      const svc = new AdminBootstrapService(t.app.get(AppConfig), t.app.get(UsersService), logger);
      const outcomes = await Promise.all([svc.run(), svc.run(), svc.run(), t.app.get(AdminBootstrapService).run()]);
      expect(outcomes.flatMap((o) => o.created)).toEqual(['boot@example.com']);
      expect(outcomes.every((o) => o.adminExists)).toBe(true);
      expect(await adminCount(t)).toBe(1);
      expect(lines.join('\n')).not.toContain('bootstrap-password');

      const users = t.app.get(UsersService);
      const admin = await users.findByEmailWithPassword('boot@example.com');
      expect(admin).toMatchObject({ role: 'admin', isActive: true });
      expect(admin!.emailVerifiedAt).toBeInstanceOf(Date);
      expect(await t.app.get(PasswordService).verify('bootstrap-password', admin!.passwordHash)).toBe(true);

      // A restart (another app on the same database) creates nothing.
      const restarted = await createTestApp({ workers: false, env, db: t.db });
      try {
        expect(await restarted.app.get(AdminBootstrapService).run()).toEqual({ created: [], adminExists: true });
      } finally {
        await restarted.close();
      }
      expect(await adminCount(t)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('does nothing when an admin already exists, and never promotes an existing non-admin account', async () => {
    const t = await createTestApp({ workers: false, env });
    try {
      const users = t.app.get(UsersService);
      await users.create({
        email: 'boot@example.com',
        password: 'someone-elses-password',
        fullName: 'Squatter',
        role: 'student',
        emailVerified: true,
      });
      const { logger, lines } = fakeLogger();
      const svc = new AdminBootstrapService(t.app.get(AppConfig), users, logger);
      expect(await svc.run()).toEqual({ created: [], adminExists: false });
      expect((await users.findByEmailWithPassword('boot@example.com'))!.role).toBe('student');
      expect(lines.join('\n')).toContain('not promoting');

      await users.create({
        email: 'other-admin@example.com',
        password: PASSWORD,
        fullName: 'Other',
        role: 'admin',
        emailVerified: true,
      });
      expect(await svc.run()).toEqual({ created: [], adminExists: true });
      expect(await adminCount(t)).toBe(1);
    } finally {
      await t.close();
    }
  });

  it('without bootstrap env and no admin, logs how to create the first admin', async () => {
    const t = await createTestApp({ workers: false });
    try {
      const { logger, lines } = fakeLogger();
      const svc = new AdminBootstrapService(t.app.get(AppConfig), t.app.get(UsersService), logger);
      expect(await svc.run({ embeddedDatabase: true })).toEqual({ created: [], adminExists: false });
      expect(lines.join('\n')).toContain(CREATE_ADMIN_HINT);
      expect(await adminCount(t)).toBe(0);
    } finally {
      await t.close();
    }
  });

  it('logs the no-admin hint once per deployment; restarts and replicas log it at debug level only', async () => {
    const t = await createTestApp({ workers: false });
    try {
      const entries: Array<{ level: string; text: string }> = [];
      const at =
        (level: string) =>
        (...args: unknown[]): void => {
          entries.push({ level, text: args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ') });
        };
      const logger = {
        info: at('info'),
        warn: at('warn'),
        error: at('error'),
        debug: at('debug'),
      } as unknown as Logger;
      (logger as unknown as { child: () => Logger }).child = () => logger;
      const hints = (level: string) => entries.filter((e) => e.level === level && e.text.includes(CREATE_ADMIN_HINT));
      const svc = new AdminBootstrapService(t.app.get(AppConfig), t.app.get(UsersService), logger);

      // Three replicas starting together, then a restart: one warning in all.
      await Promise.all([svc.run(), svc.run(), svc.run()]);
      await svc.run();
      expect(hints('warn')).toHaveLength(1);
      expect(hints('info')).toEqual([]);
      expect(hints('debug')).toHaveLength(3);

      // Once an admin exists the record goes: a database that loses its admins gets the hint again.
      const users = t.app.get(UsersService);
      const admin = await users.create({
        email: 'hint-admin@example.com',
        password: PASSWORD,
        fullName: 'Admin',
        role: 'admin',
        emailVerified: true,
      });
      expect((await svc.run()).adminExists).toBe(true);
      await t.db.query('DELETE FROM users WHERE id = $1', [admin.id]);
      await svc.run();
      expect(hints('warn')).toHaveLength(2);
    } finally {
      await t.close();
    }
  });

  it('SEED_DEMO=true creates the demo accounts once and prints their passwords', async () => {
    const t = await createTestApp({ workers: false, env: { SEED_DEMO: 'true' } });
    try {
      const { logger, lines } = fakeLogger();
      const svc = new AdminBootstrapService(t.app.get(AppConfig), t.app.get(UsersService), logger);
      const [first, second] = await Promise.all([svc.run({ embeddedDatabase: true }), svc.run()]);
      expect([...first!.created, ...second!.created].sort()).toEqual(DEMO_ACCOUNTS.map((d) => d.email).sort());
      expect((await svc.run()).created).toEqual([]);
      const users = t.app.get(UsersService);
      const passwords = t.app.get(PasswordService);
      for (const demo of DEMO_ACCOUNTS) {
        const u = await users.findByEmailWithPassword(demo.email);
        expect(u!.role).toBe(demo.role);
        expect(await passwords.verify(demo.password, u!.passwordHash)).toBe(true);
        expect(lines.join('\n')).toContain(`${demo.email} / ${demo.password}`);
      }
      expect(lines.join('\n')).not.toContain('No admin account exists');
    } finally {
      await t.close();
    }
  });
});
