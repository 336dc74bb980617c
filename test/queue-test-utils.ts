import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { dataPath, type AppConfig } from '#core';
import { testRedisUrl } from '#testing';

/** Polls `probe` until it returns a truthy value or the deadline passes (then throws with `what`). */
export async function until<T>(
  what: string,
  probe: () => Promise<T | undefined | null | false> | T | undefined | null | false,
  timeoutMs = 10_000,
  intervalMs = 25,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** The .eml files the given app wrote (DATA_DIR/mail), with their contents. */
export async function mailFiles(config: AppConfig): Promise<Array<{ path: string; content: string }>> {
  const dir = dataPath(config, 'mail');
  const names = await readdir(dir).catch(() => [] as string[]);
  return Promise.all(
    names
      .filter((n) => n.endsWith('.eml'))
      .map(async (n) => ({ path: join(dir, n), content: await readFile(join(dir, n), 'utf8') })),
  );
}

/** Queue backends to run a suite on: PostgreSQL always, Redis when TEST_REDIS_URL is set. */
export function queueBackends(): Array<{ name: 'postgres' | 'redis'; env: Record<string, string> }> {
  const redis = testRedisUrl();
  const backends: Array<{ name: 'postgres' | 'redis'; env: Record<string, string> }> = [{ name: 'postgres', env: {} }];
  if (redis) backends.push({ name: 'redis', env: { REDIS_URL: redis, QUEUE_PREFIX: uniqueQueuePrefix() } });
  return backends;
}

/** A BullMQ key prefix of its own, so parallel test files on one Redis never consume each other's jobs. */
export function uniqueQueuePrefix(): string {
  return `lms-test-${randomBytes(4).toString('hex')}`;
}

export const uniqueSubject = (label: string): string => `${label} ${randomBytes(4).toString('hex')}`;
