import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Histogram,
  register,
  type CounterConfiguration,
  type GaugeConfiguration,
  type HistogramConfiguration,
} from 'prom-client';

/**
 * Every metric lives in prom-client's default registry (served at METRICS_PATH by the API and on
 * WORKER_HTTP_PORT by the worker). Get-or-create, because several apps may be built in one process (tests).
 */
export function histogram<T extends string>(cfg: HistogramConfiguration<T>): Histogram<T> {
  return (register.getSingleMetric(cfg.name) as Histogram<T> | undefined) ?? new Histogram(cfg);
}

export function counter<T extends string>(cfg: CounterConfiguration<T>): Counter<T> {
  return (register.getSingleMetric(cfg.name) as Counter<T> | undefined) ?? new Counter(cfg);
}

export function gauge<T extends string>(cfg: GaugeConfiguration<T>): Gauge<T> {
  return (register.getSingleMetric(cfg.name) as Gauge<T> | undefined) ?? new Gauge(cfg);
}

/** Label value for requests that matched no route (never the raw URL: it would make cardinality unbounded). */
export const UNMATCHED_ROUTE = 'unmatched';

export function httpRequestsTotal(): Counter<'method' | 'route' | 'status_code'> {
  return counter({
    name: 'http_requests_total',
    help: 'HTTP requests handled, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'],
  });
}

export function httpRequestDuration(): Histogram<'method' | 'route' | 'status_code'> {
  return histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request duration in seconds, by method, route template and status code.',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  });
}

/** Node process metrics (CPU, memory, event loop, GC), registered once per process. */
export function collectDefaultMetricsOnce(): void {
  if (register.getSingleMetric('process_cpu_user_seconds_total')) return;
  collectDefaultMetrics();
}
