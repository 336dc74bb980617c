import { OUTBOX_ROUTES, routeEvent } from './outbox.routes.js';
import { QUEUE_JOBS } from '../queue/queue.definitions.js';

describe('outbox routing', () => {
  it('routes email.requested to emails/send-email with a deterministic job id', () => {
    expect(routeEvent('0b7c5a9e-1111-4222-8333-944455556666', 'email.requested')).toEqual([
      { queue: 'emails', jobName: 'send-email', jobId: '0b7c5a9e-1111-4222-8333-944455556666.emails.send-email' },
    ]);
  });

  it('routes unknown event types nowhere', () => {
    expect(routeEvent('id', 'course.unknown')).toEqual([]);
  });

  it('only targets declared queue jobs (names without ":", so job ids have exactly three parts)', () => {
    for (const routes of Object.values(OUTBOX_ROUTES)) {
      for (const { queue, jobName } of routes) {
        expect(QUEUE_JOBS[queue] as readonly string[]).toContain(jobName);
        expect(jobName).not.toContain(':');
      }
    }
  });
});
