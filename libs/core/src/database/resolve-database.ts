import type { AppConfig } from '../config/app-config.js';
import { dataPath } from '../config/load-config.js';
import { startEmbeddedPostgres } from './embedded-postgres.js';

export interface ResolvedDatabase {
  url: string;
  embedded: boolean;
  stop(): Promise<void>;
}

/** DATABASE_URL when set; otherwise the embedded PostgreSQL under DATA_DIR/pg (database "lms"). */
export async function resolveDatabase(config: AppConfig, onLog?: (line: string) => void): Promise<ResolvedDatabase> {
  if (config.DATABASE_URL) {
    return { url: config.DATABASE_URL, embedded: false, stop: async () => undefined };
  }
  const handle = await startEmbeddedPostgres({
    dataDir: dataPath(config, 'pg'),
    port: config.EMBEDDED_PG_PORT,
    database: 'lms',
    onLog,
  });
  return { url: handle.url, embedded: true, stop: () => handle.stop() };
}
