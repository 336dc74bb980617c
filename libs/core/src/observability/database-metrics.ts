import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig } from '../config/app-config.js';
import { gauge } from './metrics.js';

/** The pg.Pool counters TypeORM's PostgresDriver keeps in `master`. */
interface PoolCounts {
  totalCount: number;
  idleCount: number;
  waitingCount: number;
}

export interface OutboxBacklog {
  pending: number;
  oldestAgeSeconds: number;
}

/**
 * One query on the partial index IDX_outbox_events_unpublished (created_at WHERE published_at IS
 * NULL): it reads only the unpublished rows, which the relay keeps few.
 */
export const OUTBOX_BACKLOG_SQL = `SELECT count(*)::int AS pending,
  COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS oldest_age_seconds
  FROM outbox_events WHERE published_at IS NULL`;

/** Scrapes closer together than this share one outbox query (several Prometheus servers, retries). */
const OUTBOX_CACHE_MS = 5_000;

const sources = new Set<DatabaseMetrics>();

/**
 * Database gauges read at scrape time from every DataSource of this process (one per app: tests
 * build several): `lms_db_pool_connections{state}` (the pg pool: total, idle, waiting clients),
 * `lms_db_pool_max_connections`, and the outbox backlog `lms_outbox_pending_events` and
 * `lms_outbox_oldest_pending_age_seconds` (0 when nothing waits). Registered only with
 * METRICS_ENABLED.
 */
@Injectable()
export class DatabaseMetrics implements OnModuleInit, OnModuleDestroy {
  private cached?: { at: number; value: Promise<OutboxBacklog> };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onModuleInit(): void {
    if (!this.config.METRICS_ENABLED) return;
    registerDatabaseGauges();
    sources.add(this);
  }

  onModuleDestroy(): void {
    sources.delete(this);
  }

  pool(): PoolCounts | undefined {
    const master = (this.dataSource.driver as { master?: Partial<PoolCounts> }).master;
    if (!this.dataSource.isInitialized || typeof master?.totalCount !== 'number') return undefined;
    return { totalCount: master.totalCount, idleCount: master.idleCount ?? 0, waitingCount: master.waitingCount ?? 0 };
  }

  get poolMax(): number {
    return this.config.DB_POOL_SIZE;
  }

  outboxBacklog(now = Date.now()): Promise<OutboxBacklog> {
    if (this.cached && now - this.cached.at < OUTBOX_CACHE_MS) return this.cached.value;
    const value = this.dataSource
      .query<Array<{ pending: number; oldest_age_seconds: number }>>(OUTBOX_BACKLOG_SQL)
      .then(([row]) => ({
        pending: Number(row?.pending ?? 0),
        oldestAgeSeconds: Number(row?.oldest_age_seconds ?? 0),
      }));
    this.cached = { at: now, value };
    value.catch(() => {
      if (this.cached?.value === value) this.cached = undefined;
    });
    return value;
  }
}

/** The backlog of the last registered source; undefined when the database is unreachable (the gauges keep their values). */
async function lastOutboxBacklog(): Promise<OutboxBacklog | undefined> {
  let backlog: OutboxBacklog | undefined;
  for (const source of sources) backlog = await source.outboxBacklog().catch(() => backlog);
  return backlog;
}

function registerDatabaseGauges(): void {
  gauge({
    name: 'lms_db_pool_connections',
    help: 'PostgreSQL pool clients of this process by state: total (open), idle, waiting (callers queued for a client)',
    labelNames: ['state'] as const,
    collect() {
      for (const source of sources) {
        const pool = source.pool();
        if (!pool) continue;
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      }
    },
  });
  gauge({
    name: 'lms_db_pool_max_connections',
    help: 'Configured size of the PostgreSQL pool of this process (DB_POOL_SIZE)',
    collect() {
      for (const source of sources) this.set(source.poolMax);
    },
  });
  // Both gauges await the same cached query (see outboxBacklog): one query per scrape.
  gauge({
    name: 'lms_outbox_pending_events',
    help: 'Outbox events committed but not yet published to the queues',
    async collect() {
      const backlog = await lastOutboxBacklog();
      if (backlog) this.set(backlog.pending);
    },
  });
  gauge({
    name: 'lms_outbox_oldest_pending_age_seconds',
    help: 'Age of the oldest unpublished outbox event in seconds (0 when none waits)',
    async collect() {
      const backlog = await lastOutboxBacklog();
      if (backlog) this.set(backlog.oldestAgeSeconds);
    },
  });
}
