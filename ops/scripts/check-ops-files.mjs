#!/usr/bin/env node
// Structural checks of the deployment files that no installed tool validates here (`docker compose
// config` needs the Compose plugin, absent on CI machines; .ci/ops-check runs it too when present):
//   - every docker-compose*.yml parses (YAML merge keys included) and follows the rules below;
//   - every Grafana provisioning file parses, and every dashboard is JSON with a unique uid whose
//     panels query the provisioned Prometheus datasource.
// Exits 1 with one line per problem. Usage: node ops/scripts/check-ops-files.mjs [ROOT] (default: this checkout)
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const problems = [];
const fail = (file, message) => problems.push(`${file}: ${message}`);

function readYaml(file) {
  try {
    return parse(readFileSync(join(root, file), 'utf8'), { merge: true, prettyErrors: true });
  } catch (err) {
    fail(file, `does not parse: ${err.message}`);
    return undefined;
  }
}

const asList = (value) => (Array.isArray(value) ? value : value && typeof value === 'object' ? Object.keys(value) : []);
const envOf = (service) =>
  Array.isArray(service.environment)
    ? Object.fromEntries(service.environment.map((e) => e.split(/=(.*)/s).slice(0, 2)))
    : (service.environment ?? {});
const isOneShot = (service) => service.restart === 'no';

/** Rules every compose file follows. */
function checkCompose(file, doc) {
  if (!doc || typeof doc.services !== 'object' || Object.keys(doc.services).length === 0) {
    fail(file, 'no services');
    return {};
  }
  const services = doc.services;
  const declaredVolumes = new Set(Object.keys(doc.volumes ?? {}));
  const declaredNetworks = new Set(['default', ...Object.keys(doc.networks ?? {})]);
  for (const [name, s] of Object.entries(services)) {
    const where = `service ${name}`;
    if (!s.image && !s.build) fail(file, `${where} has neither image nor build`);
    if (!s.restart) fail(file, `${where} has no restart policy`);
    for (const dep of asList(s.depends_on)) {
      if (!services[dep]) fail(file, `${where} depends on unknown service ${dep}`);
    }
    for (const net of asList(s.networks)) {
      if (!declaredNetworks.has(net)) fail(file, `${where} uses undeclared network ${net}`);
    }
    for (const volume of s.volumes ?? []) {
      const source = typeof volume === 'string' ? volume.split(':')[0] : volume.source;
      if (source.startsWith('.') || source.startsWith('/')) {
        if (source.startsWith('.') && !existsSync(join(root, source))) fail(file, `${where} mounts missing ${source}`);
      } else if (!declaredVolumes.has(source)) {
        fail(file, `${where} uses undeclared volume ${source}`);
      }
    }
    for (const [key, value] of Object.entries(envOf(s))) {
      if (/PASSWORD|SECRET|_KEY$|TOKEN/.test(key) && typeof value === 'string' && value && !value.includes('${')) {
        if (file !== 'docker-compose.yml') fail(file, `${where} sets ${key} to a literal: reference a variable`);
      }
    }
  }
  return services;
}

/** Production-like files: hardened, observable, bounded. */
function checkHardened(file, services, { rootAllowed = [] } = {}) {
  for (const [name, s] of Object.entries(services)) {
    const where = `service ${name}`;
    if (!isOneShot(s) && !s.healthcheck?.test) fail(file, `${where} has no health check`);
    if (!isOneShot(s) && !['always', 'unless-stopped', 'on-failure'].includes(s.restart)) {
      fail(file, `${where} restart policy ${s.restart} does not bring it back`);
    }
    if (!s.deploy?.resources?.limits?.memory || !s.deploy?.resources?.limits?.cpus) {
      fail(file, `${where} has no cpus/memory limits`);
    }
    if (s.read_only !== true) fail(file, `${where} has a writable root filesystem`);
    if (!rootAllowed.includes(name) && (!s.user || /^(root|0)(:|$)/.test(String(s.user)))) {
      fail(file, `${where} does not set a non-root user`);
    }
    for (const [key, value] of Object.entries(envOf(s))) {
      if (
        typeof value === 'string' &&
        /\$\{(POSTGRES_PASSWORD|GRAFANA_ADMIN_PASSWORD|ALERTMANAGER_SMTP_PASSWORD)\}/.test(value)
      ) {
        fail(file, `${where} ${key}: a secret must be required (\${VAR:?message})`);
      }
    }
  }
}

function checkMigrateFirst(file, services, apiNames, database, environment) {
  const migrate = services.migrate;
  if (!migrate) {
    fail(file, 'no migrate service');
    return;
  }
  if (!isOneShot(migrate)) fail(file, 'migrate must be one-shot (restart: "no")');
  if (!JSON.stringify(migrate.command ?? '').includes('migration.mjs'))
    fail(file, 'migrate does not run the migrations');
  for (const name of [...apiNames, 'worker']) {
    const s = services[name];
    if (!s) {
      fail(file, `no service ${name}`);
      continue;
    }
    if (s.depends_on?.migrate?.condition !== 'service_completed_successfully') {
      fail(file, `${name} does not wait for migrate to complete`);
    }
    const env = envOf(s);
    if (String(env.DB_RUN_MIGRATIONS) !== 'false') fail(file, `${name} must run with DB_RUN_MIGRATIONS=false`);
    if (env.ENVIRONMENT !== environment)
      fail(file, `${name} ENVIRONMENT is ${env.ENVIRONMENT}, expected ${environment}`);
    if (!String(env.DATABASE_URL ?? '').endsWith(`/${database}`))
      fail(file, `${name} does not use database ${database}`);
  }
}

// ── docker-compose.yml (development) ────────────────────────────────────────────────────────────
{
  const file = 'docker-compose.yml';
  const services = checkCompose(file, readYaml(file));
  for (const name of ['api', 'worker', 'postgres', 'redis']) if (!services[name]) fail(file, `no service ${name}`);
  if (services.api && !JSON.stringify(services.api.command ?? '').includes('--watch'))
    fail(file, 'api has no hot reload');
  if (services.api && !(services.api.volumes ?? []).some((v) => String(v).startsWith('.:/app'))) {
    fail(file, 'api does not mount the source tree');
  }
}

// ── docker-compose.prod.yml ──────────────────────────────────────────────────────────────────────
{
  const file = 'docker-compose.prod.yml';
  const services = checkCompose(file, readYaml(file));
  checkHardened(file, services, { rootAllowed: ['caddy'] });
  checkMigrateFirst(file, services, ['api-1', 'api-2'], 'lms', 'production');
  if (!services.caddy) fail(file, 'no caddy service');
  else if (!(services.caddy.volumes ?? []).some((v) => String(v).startsWith('./ops/caddy/Caddyfile:'))) {
    fail(file, 'caddy does not mount ops/caddy/Caddyfile');
  }
}

// ── docker-compose.staging.yml ───────────────────────────────────────────────────────────────────
{
  const file = 'docker-compose.staging.yml';
  const services = checkCompose(file, readYaml(file));
  checkHardened(file, services);
  checkMigrateFirst(file, services, ['api'], 'lms_staging', 'staging');
  if (services.postgres?.environment?.POSTGRES_DB !== 'lms_staging') fail(file, 'postgres does not create lms_staging');
  if (!(services.api?.ports ?? []).some((p) => String(p).startsWith('8001:')))
    fail(file, 'api is not published on 8001');
}

// ── docker-compose.observability.yml ─────────────────────────────────────────────────────────────
{
  const file = 'docker-compose.observability.yml';
  const services = checkCompose(file, readYaml(file));
  checkHardened(file, services);
  for (const name of ['prometheus', 'alertmanager', 'grafana']) if (!services[name]) fail(file, `no service ${name}`);
}

// ── Grafana provisioning and dashboards ──────────────────────────────────────────────────────────
const grafana = 'ops/observability/grafana';
const datasources = readYaml(`${grafana}/provisioning/datasources/prometheus.yml`);
const datasourceUid = datasources?.datasources?.[0]?.uid;
if (!datasourceUid) fail(`${grafana}/provisioning/datasources/prometheus.yml`, 'no datasource uid');
const providers = readYaml(`${grafana}/provisioning/dashboards/dashboards.yml`);
if (!providers?.providers?.[0]?.options?.path)
  fail(`${grafana}/provisioning/dashboards/dashboards.yml`, 'no provider path');

const EXPECTED_DASHBOARDS = [
  'lms-api-overview.json',
  'lms-course-performance.json',
  'lms-student-progress.json',
  'lms-security-events.json',
  'lms-system-health.json',
];
const dashboardFiles = readdirSync(join(root, grafana, 'dashboards')).filter((f) => f.endsWith('.json'));
for (const expected of EXPECTED_DASHBOARDS) {
  if (!dashboardFiles.includes(expected)) fail(`${grafana}/dashboards`, `missing ${expected}`);
}
const uids = new Set();
for (const name of dashboardFiles) {
  const file = `${grafana}/dashboards/${name}`;
  let dashboard;
  try {
    dashboard = JSON.parse(readFileSync(join(root, file), 'utf8'));
  } catch (err) {
    fail(file, `is not JSON: ${err.message}`);
    continue;
  }
  if (!dashboard.uid || uids.has(dashboard.uid)) fail(file, `missing or duplicate uid ${dashboard.uid}`);
  uids.add(dashboard.uid);
  if (!dashboard.title) fail(file, 'no title');
  const panels = (dashboard.panels ?? []).filter((p) => p.type !== 'row');
  if (panels.length === 0) fail(file, 'no panels');
  for (const panel of panels) {
    if (panel.datasource?.uid !== datasourceUid)
      fail(file, `panel "${panel.title}" does not use datasource ${datasourceUid}`);
    if (!panel.targets?.length || panel.targets.some((t) => !t.expr)) fail(file, `panel "${panel.title}" has no query`);
  }
}

if (problems.length > 0) {
  for (const p of problems) console.error(p);
  process.exit(1);
}
console.log(`compose files, Grafana provisioning and ${dashboardFiles.length} dashboards: OK`);
