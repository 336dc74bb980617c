// The DataSource the TypeORM CLI loads (npm run migration:*), built from the same options as the
// app's. Compiled to dist/ first, so entities are found as dist/libs/*/src/**/*.entity.js.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DataSource } from 'typeorm';
import { ensureSecretKey, loadConfig } from '../config/load-config.js';
import { createDataSourceOptions } from './data-source-options.js';
import { resolveDatabase } from './resolve-database.js';

const config = ensureSecretKey(loadConfig(process.env));
const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

// Uses the embedded server of a running `npm start` when there is one.
const db = await resolveDatabase(config, { reuseRunning: true });
const url = db.url;
if (db.embedded) process.once('beforeExit', () => void db.stop());

export default new DataSource(
  createDataSourceOptions(config, url, {
    entities: [join(root, 'libs/*/src/**/*.entity.js')],
    poolSize: 2,
    applicationName: 'lms-migrations',
  }),
);
