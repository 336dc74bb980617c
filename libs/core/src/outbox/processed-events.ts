import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { runSql } from '../database/sql.js';

/** One job of one outbox event: the event's id and the job's `<queue>.<jobName>` (its handler). */
export interface OutboxJobRef {
  eventId: string;
  handler: string;
}

/** The handler name recorded in processed_events for a queue's job. */
export const outboxHandlerName = (queue: string, jobName: string): string => `${queue}.${jobName}`;

const OUTBOX_JOB_ID = /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.([^.]+)\.([^.]+)$/i;

/**
 * The outbox event a job of `queue` was made from, read from its deterministic id
 * `<eventId>.<queue>.<jobName>` (see routeEvent); undefined for any other job (scheduled sweeps,
 * webhook attempts, jobs enqueued directly).
 */
export function outboxJobRef(queue: string, job: { id?: string; name: string }): OutboxJobRef | undefined {
  const m = job.id ? OUTBOX_JOB_ID.exec(job.id) : null;
  if (!m || m[2] !== queue || m[3] !== job.name) return undefined;
  return { eventId: m[1].toLowerCase(), handler: outboxHandlerName(queue, job.name) };
}

/**
 * processed_events: which (outbox event, handler) pairs are done. The queue processor skips a job
 * whose pair is recorded and records it when the handler succeeds; a handler with a transaction of
 * its own records it there (claim), so that its effect and the record commit together.
 */
@Injectable()
export class ProcessedEvents {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async isProcessed(ref: OutboxJobRef, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const { rows } = await runSql(manager, 'SELECT 1 FROM processed_events WHERE event_id = $1 AND handler = $2', [
      ref.eventId,
      ref.handler,
    ]);
    return rows.length > 0;
  }

  /** Records the pair (idempotent); true when this call recorded it, false when it already was. */
  async record(ref: OutboxJobRef, manager: EntityManager = this.dataSource.manager): Promise<boolean> {
    const { rows } = await runSql(
      manager,
      `INSERT INTO processed_events (event_id, handler) VALUES ($1, $2)
       ON CONFLICT (event_id, handler) DO NOTHING RETURNING 1`,
      [ref.eventId, ref.handler],
    );
    return rows.length > 0;
  }

  /**
   * For a handler with its own transaction: records job's pair in `manager`'s transaction before the
   * handler's writes. False means another delivery already did the work (or is doing it: the insert
   * waits for its commit): the handler should do nothing. Jobs that come from no outbox event always
   * get true.
   */
  async claim(manager: EntityManager, queue: string, job: { id?: string; name: string }): Promise<boolean> {
    const ref = outboxJobRef(queue, job);
    return ref ? this.record(ref, manager) : true;
  }
}
