import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { UnrecoverableError, type Job } from 'bullmq';
import { JOB_HANDLER_METADATA, type JobHandlerMetadata } from './job-handler.decorator.js';
import { QUEUE_JOBS, type QueueName } from './queue.definitions.js';

export type BoundJobHandler = (payload: unknown, job: Job) => Promise<unknown>;

export interface DiscoveredJobHandler extends JobHandlerMetadata {
  /** "ClassName.method", for error messages. */
  owner: string;
  handle: BoundJobHandler;
}

const key = (queue: string, jobName: string): string => `${queue}/${jobName}`;

/**
 * Checks that every job of `jobs` has exactly one handler and no handler targets an unknown job;
 * throws one error naming every offending job. Returns queue/job → handler.
 */
export function buildHandlerMap(
  found: readonly DiscoveredJobHandler[],
  jobs: Readonly<Record<string, readonly string[]>> = QUEUE_JOBS,
): Map<string, BoundJobHandler> {
  const byKey = new Map<string, DiscoveredJobHandler[]>();
  for (const h of found) byKey.set(key(h.queue, h.jobName), [...(byKey.get(key(h.queue, h.jobName)) ?? []), h]);
  const problems: string[] = [];
  const known = new Set<string>();
  for (const [queue, names] of Object.entries(jobs)) {
    for (const name of names) {
      const k = key(queue, name);
      known.add(k);
      const handlers = byKey.get(k) ?? [];
      if (handlers.length === 0) problems.push(`job "${k}" has no @JobHandler`);
      if (handlers.length > 1)
        problems.push(`job "${k}" has ${handlers.length} handlers: ${handlers.map((h) => h.owner).join(', ')}`);
    }
  }
  for (const [k, handlers] of byKey) {
    if (!known.has(k)) problems.push(`${handlers.map((h) => h.owner).join(', ')} handles unknown job "${k}"`);
  }
  if (problems.length > 0) throw new Error(`Invalid job handlers: ${problems.join('; ')}`);
  return new Map([...byKey].map(([k, [h]]) => [k, h.handle]));
}

/**
 * Finds every @JobHandler method among the app's providers (Nest DiscoveryService) when the module
 * initialises — before the queue processors start consuming (onApplicationBootstrap) — and
 * refuses to start unless each job name has exactly one handler. Registered only where workers run.
 */
@Injectable()
export class JobHandlerRegistry implements OnModuleInit {
  private handlers = new Map<string, BoundJobHandler>();

  constructor(
    @Inject(DiscoveryService) private readonly discovery: DiscoveryService,
    @Inject(MetadataScanner) private readonly scanner: MetadataScanner,
  ) {}

  onModuleInit(): void {
    this.handlers = buildHandlerMap(this.discover());
  }

  /** Runs the handler registered for job.name on `queue`. */
  dispatch(queue: QueueName, job: Job): Promise<unknown> {
    const handler = this.handlers.get(key(queue, job.name));
    if (!handler) throw new UnrecoverableError(`no handler for job "${key(queue, job.name)}"`);
    return handler(job.data, job);
  }

  private discover(): DiscoveredJobHandler[] {
    const found: DiscoveredJobHandler[] = [];
    for (const wrapper of this.discovery.getProviders()) {
      const instance: unknown = wrapper.instance;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const proto = Object.getPrototypeOf(instance) as object | null;
      if (!proto) continue;
      for (const method of this.scanner.getAllMethodNames(proto)) {
        const fn: unknown = Reflect.get(instance, method);
        if (typeof fn !== 'function') continue;
        const meta = Reflect.getMetadata(JOB_HANDLER_METADATA, fn) as JobHandlerMetadata | undefined;
        if (!meta) continue;
        found.push({
          ...meta,
          owner: `${instance.constructor.name}.${method}`,
          handle: (payload, job) => Promise.resolve(Reflect.apply(fn, instance, [payload, job]) as unknown),
        });
      }
    }
    return found;
  }
}
