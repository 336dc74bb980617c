#!/usr/bin/env node
// Micro-benchmark of the per-request authentication path (JwtStrategy.validate): HS256 verify with
// the KeyObject, the blacklist lookup (AccessTokenBlacklist.isRevoked, PostgreSQL store) and the user
// state lookup (UsersService.authState), each as the app runs it (TypeORM repositories from dist/)
// and as raw pg queries, for comparison. Prints one JSON object: CPU µs per operation of this process.
//   DATABASE_URL=... node test/bench/auth-micro.mjs [iterations]
import { createSecretKey, randomBytes, randomUUID } from 'node:crypto';
import { createRequire } from 'node:module';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { importCore, toolEnv } from './lib.mjs';

const require = createRequire(import.meta.url);
const jwt = require('jsonwebtoken');

const url = process.env.DATABASE_URL;
const iterations = Number(process.argv[2] ?? 3000);
if (!url) {
  process.stderr.write('auth-micro: DATABASE_URL is required\n');
  process.exit(2);
}

/** CPU µs (user + system) and wall µs per operation of `fn`, run `n` times `concurrency` at a time. */
async function measure(n, concurrency, fn) {
  for (let i = 0; i < Math.min(200, n); i++) await fn(i); // warm-up (JIT, prepared plans)
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i += concurrency) {
    const batch = [];
    for (let k = 0; k < concurrency && i + k < n; k++) batch.push(fn(i + k));
    await Promise.all(batch);
  }
  const wall = Number(process.hrtime.bigint() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  return { cpu_us: (cpu.user + cpu.system) / n, wall_us: wall / n };
}

const core = await importCore();
const { User } = await import('#users');
const { RevokedAccessToken } = await import('#auth');
const config = core.loadConfig(toolEnv({ DATABASE_URL: url }));

const ds = new DataSource(
  core.createDataSourceOptions(config, url, {
    entities: [User, RevokedAccessToken],
    poolSize: 10,
    applicationName: 'lms-bench-auth-micro',
  }),
);
await ds.initialize();
const pool = new pg.Pool({ connectionString: url, max: 10, application_name: 'lms-bench-auth-micro' });
try {
  const users = ds.getRepository(User);
  const revoked = ds.getRepository(RevokedAccessToken);
  const sample = await users.find({ select: { id: true }, where: { role: 'student' }, take: 500 });
  if (sample.length === 0) throw new Error('no students: run npm run bench:seed first');
  const ids = sample.map((u) => u.id);

  const key = createSecretKey(randomBytes(48));
  const now = Math.floor(Date.now() / 1000);
  // As TokenService mints and JwtStrategy verifies them (iss, aud; nbf/iat checked after the verify).
  const claims = { iss: 'lms', aud: 'lms-api', sub: ids[0], jti: randomUUID(), typ: 'access' };
  const token = jwt.sign({ ...claims, iat: now, exp: now + 900, role: 'student', ver: 0 }, key, {
    algorithm: 'HS256',
  });
  const verifyOptions = { algorithms: ['HS256'], issuer: 'lms', audience: 'lms-api', ignoreNotBefore: true };
  const stringSecret = randomBytes(48).toString('base64url');
  const tokenString = jwt.sign({ sub: ids[0], jti: randomUUID(), typ: 'access' }, stringSecret, {
    algorithm: 'HS256',
    expiresIn: 900,
  });

  const result = { iterations };
  result.jwt_verify_keyobject = await measure(iterations * 5, 1, () => jwt.verify(token, key, verifyOptions));
  result.jwt_verify_string_secret = await measure(iterations, 1, () =>
    jwt.verify(tokenString, stringSecret, { algorithms: ['HS256'] }),
  );
  // As AccessTokenBlacklist.isRevoked (PostgreSQL store) and UsersService.authState run them.
  result.typeorm_blacklist_exists = await measure(iterations, 10, () =>
    revoked.exists({ where: { jti: randomUUID() } }),
  );
  result.typeorm_auth_state = await measure(iterations, 10, (i) =>
    users.findOne({
      where: { id: ids[i % ids.length] },
      select: { id: true, email: true, role: true, isActive: true, tokenVersion: true, emailVerifiedAt: true },
    }),
  );
  result.typeorm_both_parallel = await measure(iterations, 10, (i) =>
    Promise.all([
      revoked.exists({ where: { jti: randomUUID() } }),
      users.findOne({
        where: { id: ids[i % ids.length] },
        select: { id: true, email: true, role: true, isActive: true, tokenVersion: true, emailVerifiedAt: true },
      }),
    ]),
  );
  // The same two lookups as raw pg (prepared statements), and folded into one statement.
  result.pg_blacklist_exists = await measure(iterations, 10, () =>
    pool.query({
      name: 'bl',
      text: 'SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE jti = $1) AS revoked',
      values: [randomUUID()],
    }),
  );
  result.pg_auth_state = await measure(iterations, 10, (i) =>
    pool.query({
      name: 'st',
      text: 'SELECT id, email, role, is_active, token_version, email_verified_at FROM users WHERE id = $1',
      values: [ids[i % ids.length]],
    }),
  );
  result.pg_combined = await measure(iterations, 10, (i) =>
    pool.query({
      name: 'both',
      text: `SELECT u.id, u.email, u.role, u.is_active, u.token_version, u.email_verified_at,
                    EXISTS (SELECT 1 FROM revoked_access_tokens r WHERE r.jti = $2) AS revoked
             FROM users u WHERE u.id = $1`,
      values: [ids[i % ids.length], randomUUID()],
    }),
  );
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await pool.end();
  await ds.destroy();
}
