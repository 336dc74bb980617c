import { outboxHandlerName, outboxJobRef } from './processed-events.js';
import { routeEvent } from './outbox.routes.js';

describe('outboxJobRef', () => {
  const eventId = '0b7c5a9e-1111-4222-8333-944455556666';

  it('reads the event and the handler from the job id the relay gives every routed job', () => {
    for (const job of routeEvent(eventId, 'enrollment.completed')) {
      expect(outboxJobRef(job.queue, { id: job.jobId, name: job.jobName })).toEqual({
        eventId,
        handler: outboxHandlerName(job.queue, job.jobName),
      });
    }
    expect(outboxJobRef('emails', { id: `${eventId}.emails.send-email`, name: 'send-email' })?.handler).toBe(
      'emails.send-email',
    );
  });

  it('ignores jobs that come from no outbox event', () => {
    expect(outboxJobRef('webhooks', { id: `whd.${eventId}.1`, name: 'deliver' })).toBeUndefined();
    expect(outboxJobRef('progress', { id: 'repeat:expire:1', name: 'expire-quiz-attempts' })).toBeUndefined();
    expect(outboxJobRef('emails', { id: 'dedup-test.emails.send-email', name: 'send-email' })).toBeUndefined();
    expect(outboxJobRef('emails', { name: 'send-email' })).toBeUndefined();
  });

  it('ignores an id naming another queue or job than the one being processed', () => {
    expect(outboxJobRef('emails', { id: `${eventId}.emails.send-email`, name: 'send-account-email' })).toBeUndefined();
    expect(outboxJobRef('files', { id: `${eventId}.emails.send-email`, name: 'send-email' })).toBeUndefined();
  });
});
