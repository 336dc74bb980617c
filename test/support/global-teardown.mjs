import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { teardown } from './global-setup.mjs';

// OPENAPI_CONTRACT=report: one line about this run's contract violations (libs/testing/src/openapi-contract.ts).
function reportContractViolations(runId) {
  const dir = process.env.OPENAPI_CONTRACT_REPORT_DIR || join(tmpdir(), 'lms-openapi-contract', runId || 'adhoc');
  if (!existsSync(dir)) return;
  const lines = readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean));
  const operations = new Set(lines.map((l) => JSON.parse(l).operation));
  process.stdout.write(
    `\n[lms] OpenAPI contract: ${lines.length} response(s) differ from the document in ${operations.size} operation(s)` +
      (lines.length ? ` (npm run openapi:contract-report -- --dir ${dir})\n` : '\n'),
  );
}

// Drops this run's databases on a shared server, then stops the embedded one (if any).
export default async function globalTeardown() {
  const runId = process.env.LMS_TEST_RUN_ID;
  try {
    reportContractViolations(runId);
  } catch (e) {
    process.stderr.write(`[lms] OpenAPI contract summary failed: ${e instanceof Error ? e.message : String(e)}\n`);
  }
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
