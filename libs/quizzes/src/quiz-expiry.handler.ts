import { Inject, Injectable, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, JobHandler, JobSchedules, type ExpireQuizAttemptsPayload } from '#core';
import { QuizExpiryService } from './quiz-expiry.service.js';

/** The BullMQ job scheduler id (one per deployment: every replica upserts the same one). */
export const QUIZ_EXPIRY_SCHEDULER_ID = 'expire-quiz-attempts';

/**
 * progress / expire-quiz-attempts: finalizes in-progress attempts past their deadline. Registered
 * only where workers run; it keeps the job scheduler (every QUIZ_EXPIRY_SWEEP_SECONDS) asserted through
 * JobSchedules, which is idempotent across replicas and works on both queue backends.
 */
@Injectable()
export class QuizExpiryHandler implements OnApplicationBootstrap {
  constructor(
    @Inject(QuizExpiryService) private readonly expiry: QuizExpiryService,
    @Inject(JobSchedules) private readonly schedules: JobSchedules,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Asserted now, periodically and on reconnects (a broker that lost it gets it back).
    this.schedules.register({
      queue: 'progress',
      id: QUIZ_EXPIRY_SCHEDULER_ID,
      everyMs: this.config.QUIZ_EXPIRY_SWEEP_SECONDS * 1000,
      name: 'expire-quiz-attempts',
      data: {} satisfies ExpireQuizAttemptsPayload,
      // A missed run is made up by the next one: no retries, and little history.
      opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
    });
  }

  @JobHandler('progress', 'expire-quiz-attempts')
  async handle(_payload: ExpireQuizAttemptsPayload): Promise<{ finalized: number }> {
    return { finalized: await this.expiry.sweep() };
  }
}
