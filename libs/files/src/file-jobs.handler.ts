import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import {
  AppConfig,
  Clock,
  JobHandler,
  JobSchedules,
  runSql,
  type DeleteFileObjectPayload,
  type SweepOrphanFilesPayload,
} from '#core';
import { FILE_STORAGE, type FileStorage } from './storage/file-storage.js';

/** The BullMQ job scheduler id of the orphan sweep (every replica upserts the same one). */
export const ORPHAN_SWEEP_SCHEDULER_ID = 'sweep-orphan-files';
/** Objects younger than this are never swept: an upload may still be writing its row. */
export const ORPHAN_MIN_AGE_MS = 60 * 60 * 1000;
/**
 * Which of $1 (keys) a row owns: uploaded files, and the certificate PDFs #certificates keeps in the
 * same storage. A table that stores objects here must be listed, or the sweep deletes them.
 */
const REFERENCED_KEYS_SQL = `
  SELECT storage_key FROM files WHERE storage_key = ANY($1::text[])
  UNION ALL
  SELECT pdf_storage_key FROM certificates WHERE pdf_storage_key = ANY($1::text[])`;

/** Keys listed (and looked up in the files table) per page of the sweep. */
export const ORPHAN_SWEEP_PAGE_SIZE = 1000;

/**
 * The files queue: delete-file-object (from the file.deleted outbox event; idempotent, retried with
 * backoff while storage is unavailable, so a deletion is delayed, never lost) and the scheduled
 * orphan sweep (objects older than an hour that no files row references: uploads whose process died
 * between put and insert, or whose clean-up failed).
 */
@Injectable()
export class FileJobsHandler implements OnApplicationBootstrap {
  private readonly logger = new Logger(FileJobsHandler.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(FILE_STORAGE) private readonly storage: FileStorage,
    @Inject(JobSchedules) private readonly schedules: JobSchedules,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(Clock) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.schedules.register({
      queue: 'files',
      id: ORPHAN_SWEEP_SCHEDULER_ID,
      everyMs: this.config.FILE_ORPHAN_SWEEP_SECONDS * 1000,
      name: 'sweep-orphan-files',
      data: {} satisfies SweepOrphanFilesPayload,
      opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
  }

  @JobHandler('files', 'delete-file-object')
  async deleteObject(payload: DeleteFileObjectPayload): Promise<{ deleted: string | null }> {
    // A row with this key again (never: keys carry a fresh uuid) would mean the bytes are in use.
    const { rows } = await runSql(this.dataSource.manager, 'SELECT 1 FROM files WHERE storage_key = $1', [
      payload.storage_key,
    ]);
    if (rows.length > 0) return { deleted: null };
    await this.storage.delete(payload.storage_key);
    return { deleted: payload.storage_key };
  }

  @JobHandler('files', 'sweep-orphan-files')
  async sweep(_payload: SweepOrphanFilesPayload): Promise<{ deleted: number }> {
    return { deleted: await this.sweepOrphans() };
  }

  /**
   * Deletes stored objects older than ORPHAN_MIN_AGE_MS that no row references, walking the whole
   * store page by page (referenced objects do not stop it); returns how many.
   */
  async sweepOrphans(now: Date = this.clock.now(), pageSize = ORPHAN_SWEEP_PAGE_SIZE): Promise<number> {
    const cutoff = new Date(now.getTime() - ORPHAN_MIN_AGE_MS);
    let cursor: string | undefined;
    let deleted = 0;
    do {
      const page = await this.storage.listOlderThan(cutoff, pageSize, cursor);
      cursor = page.cursor;
      if (page.keys.length === 0) continue;
      const { rows } = await runSql<{ storage_key: string }>(this.dataSource.manager, REFERENCED_KEYS_SQL, [page.keys]);
      const referenced = new Set(rows.map((r) => r.storage_key));
      for (const key of page.keys) {
        if (referenced.has(key)) continue;
        await this.storage.delete(key);
        deleted += 1;
      }
    } while (cursor !== undefined);
    if (deleted > 0) this.logger.log(`deleted ${deleted} orphaned stored object(s)`);
    return deleted;
  }
}
