import { createHash } from 'node:crypto';
import { Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import type { Repository } from 'typeorm';
import { IdempotencyKey } from './idempotency-key.entity.js';
import { DEFERRED_REQUEST_HASH } from './idempotency.constants.js';

/** How long a stored response is replayed. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;
/**
 * A row still "running" after this long belongs to a request that died with its process (crash,
 * kill): a retry takes it over instead of getting 409 until the row expires.
 */
export const IDEMPOTENCY_LOCK_TIMEOUT_SECONDS = 5 * 60;
/** Expired rows are deleted on this interval (and one pass shortly after boot). */
export const IDEMPOTENCY_PURGE_INTERVAL_MS = 60 * 60 * 1000;
const PURGE_FIRST_DELAY_MS = 30_000;
const PURGE_BATCH = 1000;

/** `Idempotency-Key`: 1–255 characters of [A-Za-z0-9_.:-]. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_.:-]{1,255}$/;

export function isValidIdempotencyKey(key: string): boolean {
  return IDEMPOTENCY_KEY_PATTERN.test(key);
}

/** JSON with object keys sorted at every level (arrays keep their order); undefined members are dropped. */
export function canonicalJson(value: unknown): string {
  if (value === undefined || value === null) return 'null';
  if (typeof value !== 'object') {
    const s = JSON.stringify(value);
    return s === undefined ? 'null' : s;
  }
  const toJson = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJson === 'function') return canonicalJson((toJson as () => unknown).call(value));
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : canonicalJson(v))).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((k) => {
      const v = (value as Record<string, unknown>)[k];
      return v !== undefined && typeof v !== 'function' && typeof v !== 'symbol';
    })
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of a request body: key order does not matter. */
export function requestHash(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}

export interface IdempotencyTarget {
  /** The caller: user id, or "anon". */
  scope: string;
  /** "<METHOD> <route template>". */
  route: string;
  key: string;
}

export type BeginResult =
  /** This request owns the key: run the handler, then complete() or release(). */
  | { kind: 'started' }
  /** A finished request with the same body: send its response again. */
  | { kind: 'replay'; statusCode: number; body: unknown }
  /** The key was used with another body. */
  | { kind: 'mismatch' }
  /** The first request with this key is still running. */
  | { kind: 'in_progress' };

export type ReserveResult =
  /** This request owns the key: run the handler; it gives the fingerprint, then complete() or release(). */
  | { kind: 'started' }
  /** A finished request holds the key: the handler's fingerprint decides between replay and 422. */
  | { kind: 'completed'; requestHash: string; statusCode: number; body: unknown }
  /** The first request with this key is still running. */
  | { kind: 'in_progress' };

interface ClaimedRow {
  claimed: boolean;
  request_hash: string;
  status_code: number | null;
  response_body: unknown;
}

/**
 * Storage of the Idempotency-Key mechanism (table idempotency_keys, PK (scope, route, key)).
 * A key is claimed by an atomic INSERT ... ON CONFLICT: exactly one concurrent request wins; an
 * expired row (or a "running" row abandoned longer than the lock timeout) is taken over in the
 * same statement, so expired rows are treated as absent.
 */
@Injectable()
export class IdempotencyService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(IdempotencyService.name);
  private timer?: NodeJS.Timeout;
  private purging?: Promise<number>;
  private stopped = false;

  constructor(@InjectRepository(IdempotencyKey) private readonly table: Repository<IdempotencyKey>) {}

  onApplicationBootstrap(): void {
    this.stopped = false;
    const schedule = (ms: number): void => {
      this.timer = setTimeout(() => {
        void this.runPurge().finally(() => {
          if (!this.stopped) schedule(IDEMPOTENCY_PURGE_INTERVAL_MS);
        });
      }, ms);
      this.timer.unref();
    };
    schedule(PURGE_FIRST_DELAY_MS);
  }

  async onModuleDestroy(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    await this.purging?.catch(() => undefined);
  }

  async begin(target: IdempotencyTarget, hash: string, ttlSeconds = IDEMPOTENCY_TTL_SECONDS): Promise<BeginResult> {
    const row = await this.claim(target, hash, ttlSeconds);
    if (row === 'started') return { kind: 'started' };
    if (row === undefined) return { kind: 'in_progress' };
    if (row.request_hash !== hash) return { kind: 'mismatch' };
    if (row.status_code === null) return { kind: 'in_progress' };
    return { kind: 'replay', statusCode: row.status_code, body: row.response_body };
  }

  /**
   * For routes whose fingerprint the handler computes (streamed bodies): claims the key before the
   * body is read (request_hash DEFERRED_REQUEST_HASH until complete() stores the real one). A key
   * still running is in_progress whatever the body; a completed one is returned with its hash, for
   * the handler's fingerprint to be compared with.
   */
  async reserve(target: IdempotencyTarget, ttlSeconds = IDEMPOTENCY_TTL_SECONDS): Promise<ReserveResult> {
    const row = await this.claim(target, DEFERRED_REQUEST_HASH, ttlSeconds);
    if (row === 'started') return { kind: 'started' };
    if (row === undefined || row.status_code === null) return { kind: 'in_progress' };
    return {
      kind: 'completed',
      requestHash: row.request_hash,
      statusCode: row.status_code,
      body: row.response_body,
    };
  }

  /** 'started' when this request claimed the key, the live row otherwise (undefined: it kept vanishing). */
  private async claim(
    target: IdempotencyTarget,
    hash: string,
    ttlSeconds: number,
  ): Promise<'started' | ClaimedRow | undefined> {
    // A row deleted between the INSERT and the SELECT (a failed first request) is claimed on the next try.
    for (let attempt = 0; attempt < 5; attempt++) {
      const rows = (await this.table.query(
        `INSERT INTO idempotency_keys AS k (scope, route, key, request_hash, status_code, response_body, created_at, expires_at)
         VALUES ($1, $2, $3, $4, NULL, NULL, now(), now() + make_interval(secs => $5))
         ON CONFLICT (scope, route, key) DO UPDATE
           SET request_hash = EXCLUDED.request_hash, status_code = NULL, response_body = NULL,
               created_at = now(), expires_at = EXCLUDED.expires_at
           WHERE k.expires_at <= now()
              OR (k.status_code IS NULL AND k.created_at <= now() - make_interval(secs => $6))
         RETURNING true AS claimed, request_hash, status_code, response_body`,
        [target.scope, target.route, target.key, hash, ttlSeconds, IDEMPOTENCY_LOCK_TIMEOUT_SECONDS],
      )) as ClaimedRow[];
      if (rows.length > 0) return 'started';

      const existing = (await this.table.query(
        `SELECT false AS claimed, request_hash, status_code, response_body
           FROM idempotency_keys
          WHERE scope = $1 AND route = $2 AND key = $3 AND expires_at > now()`,
        [target.scope, target.route, target.key],
      )) as ClaimedRow[];
      if (existing[0]) return existing[0];
    }
    // Keeps being deleted under us: as good as a concurrent first request.
    return undefined;
  }

  /**
   * Stores the response of the request that claimed the key (2xx JSON only; see the interceptor),
   * with the request's fingerprint when it was only known once the handler had run (reserve()).
   */
  async complete(target: IdempotencyTarget, statusCode: number, body: unknown, requestHash?: string): Promise<void> {
    const json = body === undefined || body === null ? null : JSON.stringify(body);
    await this.table.query(
      `UPDATE idempotency_keys SET status_code = $4, response_body = $5::jsonb, request_hash = coalesce($6, request_hash)
        WHERE scope = $1 AND route = $2 AND key = $3 AND status_code IS NULL`,
      [target.scope, target.route, target.key, statusCode, json, requestHash ?? null],
    );
  }

  /** Forgets a claimed key whose request failed, so a retry runs the handler again. */
  async release(target: IdempotencyTarget): Promise<void> {
    await this.table.query(
      `DELETE FROM idempotency_keys WHERE scope = $1 AND route = $2 AND key = $3 AND status_code IS NULL`,
      [target.scope, target.route, target.key],
    );
  }

  /** Deletes expired rows in batches; returns how many. */
  async purgeExpired(): Promise<number> {
    let total = 0;
    for (;;) {
      const result = (await this.table.query(
        `DELETE FROM idempotency_keys WHERE ctid IN (
           SELECT ctid FROM idempotency_keys WHERE expires_at <= now() LIMIT ${PURGE_BATCH})`,
      )) as [unknown[], number] | unknown[];
      const deleted = Array.isArray(result) && typeof result[1] === 'number' ? result[1] : 0;
      total += deleted;
      if (deleted < PURGE_BATCH || this.stopped) return total;
    }
  }

  private async runPurge(): Promise<void> {
    this.purging = this.purgeExpired();
    try {
      const n = await this.purging;
      if (n > 0) this.logger.log(`purged ${n} expired idempotency keys`);
    } catch (err) {
      this.logger.warn(`idempotency key purge failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      this.purging = undefined;
    }
  }
}
