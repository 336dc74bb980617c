import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import type { Job } from 'bullmq';
import { JobHandler } from './job-handler.decorator.js';
import { buildHandlerMap, JobHandlerRegistry, type DiscoveredJobHandler } from './job-handler.registry.js';
import { QUEUE_JOBS, QUEUE_NAMES, type SendEmailPayload } from './queue.definitions.js';

const handler = (queue: DiscoveredJobHandler['queue'], jobName: string, owner: string): DiscoveredJobHandler => ({
  queue,
  jobName,
  owner,
  handle: async () => owner,
});

describe('buildHandlerMap', () => {
  const jobs = { emails: ['send-email', 'send-digest'], progress: [] };

  it('maps every job to its single handler', async () => {
    const map = buildHandlerMap(
      [handler('emails', 'send-email', 'A.a'), handler('emails', 'send-digest', 'B.b')],
      jobs,
    );
    expect(await map.get('emails/send-email')?.({}, {} as Job)).toBe('A.a');
    expect(await map.get('emails/send-digest')?.({}, {} as Job)).toBe('B.b');
  });

  it('throws naming a job without a handler', () => {
    expect(() => buildHandlerMap([handler('emails', 'send-email', 'A.a')], jobs)).toThrow(
      'job "emails/send-digest" has no @JobHandler',
    );
  });

  it('throws naming a job with two handlers and both owners', () => {
    expect(() =>
      buildHandlerMap(
        [
          handler('emails', 'send-email', 'A.a'),
          handler('emails', 'send-email', 'C.c'),
          handler('emails', 'send-digest', 'B.b'),
        ],
        jobs,
      ),
    ).toThrow('job "emails/send-email" has 2 handlers: A.a, C.c');
  });

  it('throws on a handler for a job that is not declared', () => {
    expect(() =>
      buildHandlerMap(
        [
          handler('emails', 'send-email', 'A.a'),
          handler('emails', 'send-digest', 'B.b'),
          handler('progress', 'x', 'D.d'),
        ],
        jobs,
      ),
    ).toThrow('D.d handles unknown job "progress/x"');
  });

  it('accepts the real job map with exactly one handler per declared job', () => {
    const all = QUEUE_NAMES.flatMap((q) => QUEUE_JOBS[q].map((name) => handler(q, name, `${q}.${name}`)));
    expect(() => buildHandlerMap(all)).not.toThrow();
    expect(() => buildHandlerMap([])).toThrow('job "emails/send-email" has no @JobHandler');
  });
});

@Injectable()
class FirstEmailHandler {
  @JobHandler('emails', 'send-email')
  async handle(payload: SendEmailPayload): Promise<string> {
    return `first:${payload.to}`;
  }
}

@Injectable()
class SecondEmailHandler {
  @JobHandler('emails', 'send-email')
  async send(payload: SendEmailPayload): Promise<string> {
    return `second:${payload.to}`;
  }
}

/** The other declared jobs' handlers, so a build only lacks what a test leaves out. */
@Injectable()
class IssueCertificateHandler {
  @JobHandler('certificates', 'issue-certificate')
  async handle(): Promise<void> {}
}

@Injectable()
class ExpireQuizAttemptsHandler {
  @JobHandler('progress', 'expire-quiz-attempts')
  async handle(): Promise<void> {}
}

@Injectable()
class AccountEmailHandler {
  @JobHandler('emails', 'send-account-email')
  async handle(): Promise<void> {}
}

@Injectable()
class FileJobsHandler {
  @JobHandler('files', 'delete-file-object')
  async deleteObject(): Promise<void> {}
  @JobHandler('files', 'sweep-orphan-files')
  async sweep(): Promise<void> {}
}

@Injectable()
class WebhookJobsHandler {
  @JobHandler('webhooks', 'fan-out')
  async fanOut(): Promise<void> {}
  @JobHandler('webhooks', 'deliver')
  async deliver(): Promise<void> {}
  @JobHandler('webhooks', 'resume-deliveries')
  async resume(): Promise<void> {}
}

describe('JobHandlerRegistry (Nest discovery)', () => {
  const build = async (providers: Array<new (...args: never[]) => object>) => {
    const moduleRef = await Test.createTestingModule({
      imports: [DiscoveryModule],
      providers: [JobHandlerRegistry, ...providers],
    }).compile();
    await moduleRef.init(); // onModuleInit: the start-up check
    return moduleRef;
  };

  it('refuses to start with zero handlers for a job', async () => {
    await expect(build([IssueCertificateHandler, ExpireQuizAttemptsHandler, AccountEmailHandler])).rejects.toThrow(
      'job "emails/send-email" has no @JobHandler',
    );
  });

  it('refuses to start with two handlers for a job', async () => {
    await expect(
      build([
        FirstEmailHandler,
        SecondEmailHandler,
        IssueCertificateHandler,
        ExpireQuizAttemptsHandler,
        AccountEmailHandler,
      ]),
    ).rejects.toThrow('job "emails/send-email" has 2 handlers: FirstEmailHandler.handle, SecondEmailHandler.send');
  });

  it('dispatches a job by name to the discovered handler', async () => {
    const moduleRef = await build([
      FirstEmailHandler,
      IssueCertificateHandler,
      ExpireQuizAttemptsHandler,
      AccountEmailHandler,
      FileJobsHandler,
      WebhookJobsHandler,
    ]);
    const registry = moduleRef.get(JobHandlerRegistry);
    const job = { name: 'send-email', data: { to: 'a@b.c', subject: 's', text: 't' } } as Job;
    await expect(registry.dispatch('emails', job)).resolves.toBe('first:a@b.c');
    expect(() => registry.dispatch('emails', { name: 'nope', data: {} } as Job)).toThrow(
      'no handler for job "emails/nope"',
    );
    await moduleRef.close();
  });
});
