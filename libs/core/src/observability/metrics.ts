import {
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
