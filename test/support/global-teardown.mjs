import pg from 'pg';
import { teardown } from './global-setup.mjs';

// Drops this run's databases on a shared server, then stops the embedded one (if any).
export default async function globalTeardown() {
  const runId = process.env.LMS_TEST_RUN_ID;
  if (process.env.TEST_DATABASE_URL && runId && process.env.LMS_TEST_ADMIN_URL) {
    const admin = new pg.Client({ connectionString: process.env.LMS_TEST_ADMIN_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'lms\\_t\\_' || $1 || '\\_%' OR datname = 'lms_tpl_' || $1",
        [runId],
      );
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    } finally {
      await admin.end();
    }
  }
  await teardown();
}
