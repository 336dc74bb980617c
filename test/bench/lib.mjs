// Shared helpers of the benchmark scripts (seed.mjs, run.mjs). Plain Node ESM, no TypeScript: the
// project's own code is used from dist/ (build first: `npm run build`) through the "#core" import.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BENCH_DIR = resolve(ROOT, 'test', 'bench');

/** Every bench account's email ends with this; the seed owns exactly these users (and what cascades from them). */
export const BENCH_EMAIL_DOMAIN = 'bench.lms.local';
/** Schema holding the seed's own bookkeeping (never touched by the app or its migrations). */
export const BENCH_SCHEMA = 'lms_bench';
export const DEFAULT_PASSWORD = 'bench-password-1';

export const log = (...args) => process.stderr.write(`[bench] ${args.join(' ')}\n`);

/** Loads the compiled project code (dist/). */
export async function importCore() {
  if (!existsSync(resolve(ROOT, 'dist', 'libs', 'core', 'src', 'index.js'))) {
    throw new Error('dist/ is missing: run `npm run build` first (npm run bench does it for you).');
  }
  return import('#core');
}

/**
 * The environment the tools read their settings from: the caller's, as a development configuration
 * (production checks are for the API process, which run.mjs configures itself).
 */
export function toolEnv(extra = {}) {
  return {
    ...process.env,
    ENVIRONMENT: 'development',
    DEBUG: 'false',
    LOG_LEVEL: 'warn',
    SEED_DEMO: 'false',
    ...extra,
  };
}

/** CREATE DATABASE for DATABASE_URL's database when it does not exist yet (server's "postgres" database). */
async function ensureDatabaseOf(url) {
  const target = new URL(url);
  const name = decodeURIComponent(target.pathname.replace(/^\//, ''));
  if (!name || name === 'postgres') return;
  const admin = new URL(url);
  admin.pathname = '/postgres';
  const client = new pg.Client({ connectionString: admin.toString() });
  try {
    await client.connect();
  } catch {
    return; // no access to "postgres": assume the database exists (connecting to it will tell)
  }
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (found.rowCount === 0) {
      log(`creating database ${name}`);
      await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
    }
  } finally {
    await client.end();
  }
}

/**
 * The configured database, migrated: DATABASE_URL (its database is created when missing), else the
 * embedded PostgreSQL under DATA_DIR (./.data/pg), started the way `npm start` starts it (or the one
 * a running `npm start` holds). Returns { url, embedded, config, stop }.
 */
export async function openDatabase() {
  const core = await importCore();
  let config;
  try {
    config = core.loadConfig(toolEnv());
  } catch (err) {
    if (err instanceof core.ConfigValidationError) throw new Error(err.message, { cause: err });
    throw err;
  }
  if (config.DATABASE_URL) await ensureDatabaseOf(config.DATABASE_URL);
  const ctx = await core.prepareProcess('lms-bench', config, { reuseRunningDatabase: true });
  return {
    url: ctx.database.url,
    embedded: ctx.database.embedded,
    config,
    stop: () => ctx.database.stop(),
  };
}

/** Seed parameters stored by seed.mjs, or undefined when the database was never (completely) seeded. */
export async function readSeedInfo(client) {
  const exists = await client.query('SELECT to_regclass($1) AS t', [`${BENCH_SCHEMA}.seed_info`]);
  if (!exists.rows[0].t) return undefined;
  const { rows } = await client.query(`SELECT * FROM ${BENCH_SCHEMA}.seed_info WHERE id = 1`);
  return rows[0];
}

export async function tableExists(client, name) {
  const { rows } = await client.query('SELECT to_regclass($1) AS t', [`public.${name}`]);
  return rows[0].t !== null;
}

/** Parses integer-ish CLI/env values ("10000", "1e6", "10_000"). */
export function parseCount(value, name) {
  if (value === undefined || value === null || value === '') return undefined;
  const n = Number(String(value).replace(/_/g, ''));
  if (!Number.isFinite(n) || n < 0) throw new Error(`${name} must be a non-negative number (got ${value})`);
  return Math.round(n);
}

export function readJson(path) {
  return JSON.parse(readFileSync(path, 'utf8'));
}
