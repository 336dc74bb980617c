import type { AppConfig } from '../config/app-config.js';
import { dataPath } from '../config/load-config.js';
import { EmbeddedPostgresLockedError, startEmbeddedPostgres } from './embedded-postgres.js';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

export interface ResolveDatabaseOptions {
  onLog?: (line: string) => void;
  /**
   * Tools (CLI, migrations) may use the embedded server another process (npm start) already runs
   * on this data directory instead of being refused; servers (API, worker) never share it.
   */
  reuseRunning?: boolean;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR/pg (database "lms"). */
export async function resolveDatabase(config: AppConfig, opts: ResolveDatabaseOptions = {}): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  try {
    const handle = await startEmbeddedPostgres({
      dataDir: dataPath(config, 'pg'),
      port: config.EMBEDDED_PG_PORT,
      database: 'lms',
      onLog: opts.onLog,
    });
    return { url: handle.url, embedded: true, stop: () => handle.stop() };
  } catch (err) {
    if (!(opts.reuseRunning && err instanceof EmbeddedPostgresLockedError)) throw err;
    return { url: embeddedUrl(config), embedded: false, stop: async () => undefined };
  }
}

/** URL of the embedded server (fixed credentials: it listens on 127.0.0.1 only). */
export function embeddedUrl(config: AppConfig): string {
  return `postgres://postgres:postgres@127.0.0.1:${config.EMBEDDED_PG_PORT}/lms`;
}
