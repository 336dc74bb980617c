import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppConfig } from './app-config.js';
import { ConfigValidationError, ensureSecretKey, loadConfig, settingNames } from './load-config.js';

const PROD_OK = {
  ENVIRONMENT: 'production',
  DEBUG: 'false',
  SECRET_KEY: 'k9Q2vX7mL4pR8sT1wY6zB3nC5dF0gH2j',
  DATABASE_URL: 'postgres://lms:pw@db:5432/lms',
  FILE_STORAGE_PROVIDER: 'local',
  // A well-formed value is checked where the key is loaded (#certificates); here only its presence.
  CERTIFICATE_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----',
};

function problems(env: Record<string, string>): Record<string, string> {
  try {
    loadConfig(env);
  } catch (err) {
    if (err instanceof ConfigValidationError) {
      return Object.fromEntries(err.problems.map((p) => [p.variable, p.message]));
    }
    throw err;
  }
  return {};
}

describe('loadConfig', () => {
  it('applies the reference defaults', () => {
    const c = loadConfig({});
    expect(c).toBeInstanceOf(AppConfig);
    expect(c.ENVIRONMENT).toBe('development');
    expect(c.API_V1_PREFIX).toBe('/api/v1');
    expect(c.PORT).toBe(8000);
    // Loopback: the embedded development setup can seed demo accounts; containers set HOST=0.0.0.0.
    expect(c.HOST).toBe('127.0.0.1');
    expect(c.ACCESS_TOKEN_EXPIRE_MINUTES).toBe(15);
    expect(c.REFRESH_TOKEN_EXPIRE_DAYS).toBe(30);
    expect(c.RATE_LIMIT_REQUESTS_PER_MINUTE).toBe(100);
    expect(c.AUTH_RATE_LIMIT_REQUESTS_PER_MINUTE).toBe(60);
    expect(c.MAX_FAILED_LOGIN_ATTEMPTS).toBe(5);
    expect(c.ACCOUNT_LOCKOUT_DURATION_SECONDS).toBe(900);
    expect(c.API_RESPONSE_ENVELOPE_ENABLED).toBe(false);
    expect(c.CORS_ORIGINS).toEqual(['http://localhost:3000']);
    expect(c.TRUSTED_HOSTS).toEqual(['localhost', '127.0.0.1', 'testserver']);
    expect(c.queueBackend).toBe('postgres');
    expect(c.effectiveStorageProvider).toBe('local');
    expect(c.docsEnabled).toBe(true);
  });

  it('parses booleans, numbers, CSV and JSON lists, and normalizes paths', () => {
    const c = loadConfig({
      DEBUG: 'no',
      PORT: '9000',
      CORS_ORIGINS: 'https://a.example, https://b.example ,',
      TRUSTED_HOSTS: '["API.example.com","localhost"]',
      RATE_LIMIT_EXCLUDED_PATHS: 'health/, /docs',
      ALLOWED_UPLOAD_EXTENSIONS: 'PDF,Png',
      REDIS_URL: 'redis://127.0.0.1:6379/0',
    });
    expect(c.DEBUG).toBe(false);
    expect(c.PORT).toBe(9000);
    expect(c.CORS_ORIGINS).toEqual(['https://a.example', 'https://b.example']);
    expect(c.TRUSTED_HOSTS).toEqual(['api.example.com', 'localhost']);
    expect(c.RATE_LIMIT_EXCLUDED_PATHS).toEqual(['/health', '/docs']);
    expect(c.ALLOWED_UPLOAD_EXTENSIONS).toEqual(['pdf', 'png']);
    expect(c.queueBackend).toBe('redis');
  });

  it('names every bad variable at once', () => {
    const p = problems({
      PORT: 'eighty',
      DEBUG: 'maybe',
      ENVIRONMENT: 'prod',
      DATABASE_URL: 'mysql://x',
      REDIS_URL: 'http://x',
    });
    expect(Object.keys(p).sort()).toEqual(['DATABASE_URL', 'DEBUG', 'ENVIRONMENT', 'PORT', 'REDIS_URL']);
    expect(p.PORT).toContain('"eighty"');
  });

  it('rejects out-of-range values', () => {
    expect(
      Object.keys(
        problems({ WEBHOOK_TIMEOUT_SECONDS: '31', SENTRY_TRACES_SAMPLE_RATE: '2', BCRYPT_ROUNDS: '3' }),
      ).sort(),
    ).toEqual(['BCRYPT_ROUNDS', 'SENTRY_TRACES_SAMPLE_RATE', 'WEBHOOK_TIMEOUT_SECONDS']);
  });

  it('accepts a well-formed production configuration', () => {
    const c = loadConfig(PROD_OK);
    expect(c.isProduction).toBe(true);
    expect(c.docsEnabled).toBe(false);
    expect(c.ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED).toBe(true);
  });

  it('refuses production with DEBUG on, a short or placeholder secret, fail-open blacklist, or docs on', () => {
    expect(problems({ ...PROD_OK, DEBUG: 'true' })).toHaveProperty('DEBUG');
    expect(problems({ ...PROD_OK, SECRET_KEY: 'short' })).toHaveProperty('SECRET_KEY');
    expect(problems({ ...PROD_OK, SECRET_KEY: 'change-me-change-me-change-me-change-me' }).SECRET_KEY).toMatch(
      /placeholder/,
    );
    expect(problems({ ...PROD_OK, SECRET_KEY: 'x'.repeat(40) }).SECRET_KEY).toMatch(/placeholder/);
    expect(problems({ ...PROD_OK, ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED: 'false' })).toHaveProperty(
      'ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED',
    );
    expect(
      problems({ ...PROD_OK, ACCESS_TOKEN_BLACKLIST_ENABLED: 'false', ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED: 'false' }),
    ).toEqual({});
    expect(problems({ ...PROD_OK, ENABLE_API_DOCS: 'true' })).toHaveProperty('ENABLE_API_DOCS');
    const { CERTIFICATE_SIGNING_KEY: _key, ...noKey } = PROD_OK;
    expect(problems(noKey).CERTIFICATE_SIGNING_KEY).toMatch(/required in production/);
    expect(problems({ ...PROD_OK, WEBHOOK_ALLOW_PRIVATE_TARGETS: 'true' })).toHaveProperty(
      'WEBHOOK_ALLOW_PRIVATE_TARGETS',
    );
    const { DATABASE_URL: _omit, ...noDb } = PROD_OK;
    expect(problems(noDb)).toHaveProperty('DATABASE_URL');
    const { DEBUG: _d, SECRET_KEY: _s, ...bare } = PROD_OK;
    expect(Object.keys(problems(bare)).sort()).toEqual(['DEBUG', 'SECRET_KEY']);
  });

  it('requires Azure settings in production when the provider is azure', () => {
    expect(problems({ ...PROD_OK, FILE_STORAGE_PROVIDER: 'azure' })).toHaveProperty('AZURE_STORAGE_CONTAINER_NAME');
    expect(
      problems({
        ...PROD_OK,
        FILE_STORAGE_PROVIDER: 'azure',
        AZURE_STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
        AZURE_STORAGE_CONTAINER_NAME: 'lms',
      }),
    ).toEqual({});
  });

  it('requires the bootstrap admin email and password together', () => {
    expect(problems({ BOOTSTRAP_ADMIN_EMAIL: 'a@b.c' })).toHaveProperty('BOOTSTRAP_ADMIN_PASSWORD');
    expect(problems({ BOOTSTRAP_ADMIN_PASSWORD: 'password123' })).toHaveProperty('BOOTSTRAP_ADMIN_EMAIL');
  });

  it('ignores unrelated environment variables', () => {
    expect(() => loadConfig({ PATH: '/usr/bin', HOME: '/root', SOMETHING_ELSE: 'x' })).not.toThrow();
  });
});

describe('ensureSecretKey', () => {
  it('creates a random key outside production and reuses it on the next boot', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lms-cfg-'));
    const first = ensureSecretKey(loadConfig({ DATA_DIR: dir }));
    expect(first.SECRET_KEY?.length).toBeGreaterThanOrEqual(32);
    expect(readFileSync(join(dir, 'secret-key'), 'utf8').trim()).toBe(first.SECRET_KEY);
    const second = ensureSecretKey(loadConfig({ DATA_DIR: dir }));
    expect(second.SECRET_KEY).toBe(first.SECRET_KEY);
  });

  it('keeps an explicit key', () => {
    const c = ensureSecretKey(loadConfig({ SECRET_KEY: 'explicit-key-0123456789' }));
    expect(c.SECRET_KEY).toBe('explicit-key-0123456789');
  });
});

describe('.env.example', () => {
  it('documents every setting', () => {
    const text = readFileSync(join(process.cwd(), '.env.example'), 'utf8');
    const documented = new Set([...text.matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((m) => m[1]));
    const missing = settingNames().filter((n) => !documented.has(n));
    expect(missing).toEqual([]);
  });
});
