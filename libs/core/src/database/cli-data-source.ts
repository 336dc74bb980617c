// The DataSource the TypeORM CLI loads (npm run migration:*), built from the same options as the
// app's. Compiled to dist/ first, so entities are found as dist/libs/*/src/**/*.entity.js.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { ensureSecretKey, loadConfig } from '../config/load-config.js';
import { createDataSourceOptions } from './data-source-options.js';
import { EmbeddedPostgresLockedError } from './embedded-postgres.js';
import { resolveDatabase } from './resolve-database.js';

const config = ensureSecretKey(loadConfig(process.env));
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

let url: string;
try {
  const db = await resolveDatabase(config);
  url = db.url;
  if (db.embedded) process.once('beforeExit', () => void db.stop());
} catch (err) {
  // `npm start` already runs the embedded server on this data directory: use it.
  if (!(err instanceof EmbeddedPostgresLockedError)) throw err;
  url = `postgres://postgres:postgres@127.0.0.1:${config.EMBEDDED_PG_PORT}/lms`;
}

export default new DataSource(
  createDataSourceOptions(config, url, {
    entities: [join(root, 'libs/*/src/**/*.entity.js')],
    poolSize: 2,
    applicationName: 'lms-migrations',
  }),
);
