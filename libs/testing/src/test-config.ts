import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type AppConfig } from '#core';

/**
 * A validated config for tests: test environment, quiet logs, a temp DATA_DIR, a fixed secret,
 * no external services unless given. `overrides` are environment variables, as in production.
 */
export function testConfig(overrides: Record<string, string | undefined> = {}): AppConfig {
  return loadConfig({
    ENVIRONMENT: 'test',
    LOG_LEVEL: 'silent',
    DATA_DIR: mkdtempSync(join(tmpdir(), 'lms-test-')),
    SECRET_KEY: 'test-secret-key-0123456789abcdef-0123456789',
    BCRYPT_ROUNDS: '4',
    PORT: '0',
    HOST: '127.0.0.1',
    FILE_STORAGE_PROVIDER: 'local',
    OUTBOX_POLL_INTERVAL_MS: '50',
    JOB_BACKOFF_MS: '50',
    SHUTDOWN_TIMEOUT_SECONDS: '10',
    // Suites that exercise limits turn it on; elsewhere shared Redis counters would make tests flaky.
    RATE_LIMIT_ENABLED: 'false',
    ...overrides,
  });
}
