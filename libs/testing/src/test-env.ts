/** Set by test/support/global-setup.mjs for every jest worker. */
export const TEST_ENV = {
  adminUrl: 'LMS_TEST_ADMIN_URL',
  runId: 'LMS_TEST_RUN_ID',
} as const;

export function requireTestEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run tests through jest (test/support/global-setup.mjs)`);
  return value;
}

/** Redis for tests: TEST_REDIS_URL when set (CI's real-services pass), otherwise none. */
export function testRedisUrl(): string | undefined {
  return process.env.TEST_REDIS_URL || undefined;
}
