// Every metric that ops/ queries (alert rules, their unit tests' series, Grafana dashboards) is one
// the application really exports: boots the API and a real worker process, reads both /metrics, and
// checks every name used in a PromQL expression against them. A renamed metric, or a dashboard
// panel for a metric nobody exports, fails here instead of showing "No data" in production.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import {
  buildPrivateDist,
  createTestApp,
  freePort,
  spawnWorkerProcess,
  type PrivateBuild,
  type TestApp,
  type WorkerProcess,
} from '#testing';
import { until } from './queue-test-utils.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PROMETHEUS = join(ROOT, 'ops/observability/prometheus');
const DASHBOARDS = join(ROOT, 'ops/observability/grafana/dashboards');

/** Series Prometheus makes itself (not exported by any target). */
const PROMETHEUS_SERIES = new Set(['up', 'scrape_duration_seconds', 'scrape_samples_scraped', 'ALERTS']);

const PROMQL_KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
  'offset',
  'inf',
  'nan',
]);

/**
 * The metric names a PromQL expression selects: strings, label matchers, ranges, grouping label
 * lists and Grafana variables are removed first; what remains is a name unless it is a function
 * (followed by "("), a keyword or part of a number.
 */
function metricNames(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/g, ' ');
  const names = new Set<string>();
  for (const m of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = stripped[m.index - 1];
    if (before !== undefined && /[0-9.]/.test(before)) continue;
    if (
      stripped
        .slice(m.index + m[0].length)
        .trimStart()
        .startsWith('(')
    )
      continue;
    if (PROMQL_KEYWORDS.has(m[0].toLowerCase())) continue;
    names.add(m[0]);
  }
  return [...names];
}

interface Usage {
  name: string;
  where: string;
}

function collectExpressions(): Array<{ expr: string; where: string }> {
  const out: Array<{ expr: string; where: string }> = [];
  const rules = parse(readFileSync(join(PROMETHEUS, 'alerts.yml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert?: string; record?: string; expr: string }> }>;
  };
  for (const group of rules.groups) {
    for (const rule of group.rules) out.push({ expr: rule.expr, where: `alerts.yml ${rule.alert ?? rule.record}` });
  }
  for (const file of readdirSync(join(PROMETHEUS, 'tests')).filter((f) => f.endsWith('.yml'))) {
    const tests = parse(readFileSync(join(PROMETHEUS, 'tests', file), 'utf8')) as {
      tests: Array<{ name?: string; input_series?: Array<{ series: string }> }>;
    };
    for (const test of tests.tests) {
      for (const s of test.input_series ?? []) out.push({ expr: s.series, where: `tests/${file} "${test.name}"` });
    }
  }
  for (const file of readdirSync(DASHBOARDS).filter((f) => f.endsWith('.json'))) {
    const visit = (node: unknown, title: string): void => {
      if (Array.isArray(node)) node.forEach((n) => visit(n, title));
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        const here = typeof o.title === 'string' ? o.title : title;
        if (typeof o.expr === 'string') out.push({ expr: o.expr, where: `${file} "${here}"` });
        // Template variables: label_values(<selector>, label) / query_result(<expr>).
        if (typeof o.definition === 'string') out.push({ expr: o.definition, where: `${file} variable "${here}"` });
        for (const v of Object.values(o)) visit(v, here);
      }
    };
    visit(JSON.parse(readFileSync(join(DASHBOARDS, file), 'utf8')), file);
  }
  return out;
}

/** Names a /metrics body exports: families from # TYPE (with a histogram's or summary's series) and samples. */
function exportedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)/.exec(line);
    if (type) {
      const [, name, kind] = type as unknown as [string, string, string];
      names.add(name);
      if (kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(name + s);
      if (kind === 'summary') for (const s of ['_sum', '_count']) names.add(name + s);
      continue;
    }
    const sample = /^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/.exec(line);
    if (sample) names.add(sample[1]!);
  }
  return names;
}

describe('metricNames()', () => {
  it('metricNames() finds the selected metrics and nothing else', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (route, le) (rate(http_request_duration_seconds_bucket{environment=~"$environment", status_code=~"5.."}[$__rate_interval])))',
      ),
    ).toEqual(['http_request_duration_seconds_bucket']);
    expect(
      metricNames('sum(rate(a_total{x="sum(b)"}[5m])) / on (job) group_left c_total > bool 1e3 unless up offset 5m'),
    ).toEqual(['a_total', 'c_total', 'up']);
    expect(metricNames('label_values(up{job=~"lms_.*"}, environment)')).toEqual(['up', 'environment']);
  });
});

describe('metric names used in ops/', () => {
  let api: TestApp;
  let build: PrivateBuild;
  let worker: WorkerProcess | undefined;
  let apiMetrics = '';
  let workerMetrics = '';

  beforeAll(async () => {
    build = buildPrivateDist();
    api = await createTestApp({ workers: false });
    // WORKER_HTTP_PORT=0 turns the worker's server off: a free port instead.
    const workerPort = await freePort();
    worker = spawnWorkerProcess(build, {
      ENVIRONMENT: 'test',
      LOG_LEVEL: 'info',
      DATABASE_URL: api.db.url,
      DATA_DIR: api.config.DATA_DIR,
      SECRET_KEY: api.config.SECRET_KEY!,
      FILE_STORAGE_PROVIDER: 'local',
      DB_RUN_MIGRATIONS: 'false',
      HOST: '127.0.0.1',
      WORKER_HTTP_PORT: String(workerPort),
    });
    const port = await until(
      'the worker process to serve HTTP',
      async () => {
        for (const line of worker!.output().split('\n')) {
          if (!line.includes('LMS worker started')) continue;
          const { httpPort } = JSON.parse(line) as { httpPort?: number | null };
          if (httpPort) return httpPort;
          throw new Error('the worker started without its HTTP server');
        }
        if (worker!.child.exitCode !== null) throw new Error(`worker exited:\n${worker!.output()}`);
        return undefined;
      },
      60_000,
      100,
    ).catch((err: unknown) => {
      throw new Error(`${String(err)}\nworker output:\n${worker!.output()}`);
    });
    // Some traffic, so that the labelled HTTP series exist too.
    await api.request('/api/v1/health');
    await api.request('/api/v1/no-such-route');
    apiMetrics = await (await api.request('/metrics')).text();
    workerMetrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  }, 180_000);

  afterAll(async () => {
    await worker?.kill();
    await api?.close();
    build?.remove();
  });

  it('the API and the worker export their own metrics', () => {
    const fromApi = exportedNames(apiMetrics);
    const fromWorker = exportedNames(workerMetrics);
    for (const name of ['http_requests_total', 'http_request_duration_seconds_bucket', 'lms_auth_logins_total']) {
      expect({ name, api: fromApi.has(name) }).toEqual({ name, api: true });
    }
    for (const name of [
      'lms_job_duration_seconds_bucket',
      'lms_job_failures_total',
      'lms_queue_jobs',
      'lms_domain_events_total',
      'lms_outbox_pending_events',
      'lms_outbox_oldest_pending_age_seconds',
      'lms_db_pool_connections',
      'nodejs_eventloop_lag_p99_seconds',
      'process_resident_memory_bytes',
    ]) {
      expect({ name, api: fromApi.has(name), worker: fromWorker.has(name) }).toEqual({ name, api: true, worker: true });
    }
    // The database gauges have values (the outbox query ran at scrape time).
    expect(workerMetrics).toMatch(/^lms_outbox_pending_events \d+$/m);
    expect(workerMetrics).toMatch(/^lms_outbox_oldest_pending_age_seconds [\d.e+-]+$/m);
    expect(apiMetrics).toMatch(/^lms_db_pool_connections\{state="total"\} [1-9]\d*$/m);
    // Every series starts at 0, so rates and ratios exist before the first event.
    expect(apiMetrics).toContain('lms_auth_logins_total{outcome="locked"} 0');
    expect(apiMetrics).toContain('lms_quiz_attempts_graded_total{result="passed"} 0');
  });

  it('every metric in the alert rules, the rule tests and the dashboards is exported', () => {
    const exported = new Set([...exportedNames(apiMetrics), ...exportedNames(workerMetrics), ...PROMETHEUS_SERIES]);
    const usages: Usage[] = collectExpressions().flatMap(({ expr, where }) =>
      metricNames(expr).map((name) => ({ name, where })),
    );
    expect(usages.length).toBeGreaterThan(50);
    // label_values(selector, label): the second argument is a label, not a metric.
    const unknown = usages.filter(
      (u) => !exported.has(u.name) && !(u.where.includes('variable') && u.name === 'environment'),
    );
    expect(unknown).toEqual([]);
  });
});
