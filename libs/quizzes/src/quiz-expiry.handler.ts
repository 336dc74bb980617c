import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, JobHandler, JobProducer, type ExpireQuizAttemptsPayload } from '#core';
import { QuizExpiryService } from './quiz-expiry.service.js';

/** The BullMQ job scheduler id (one per deployment: every replica upserts the same one). */
export const QUIZ_EXPIRY_SCHEDULER_ID = 'expire-quiz-attempts';

/**
 * progress / expire-quiz-attempts: finalizes in-progress attempts past their deadline. Registered
 * only where workers run; on bootstrap it upserts the repeatable job (every QUIZ_EXPIRY_SWEEP_SECONDS),
 * which is idempotent across replicas and works on both queue backends.
 */
@Injectable()
export class QuizExpiryHandler implements OnApplicationBootstrap {
  private readonly logger = new Logger(QuizExpiryHandler.name);

  constructor(
    @Inject(QuizExpiryService) private readonly expiry: QuizExpiryService,
    @Inject(JobProducer) private readonly producer: JobProducer,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    // Not awaited: a broker that is down must not block start-up (the readiness check reports it);
    // the client sends the command once the broker is back.
    this.producer
      .queue('progress')
      .upsertJobScheduler(
        QUIZ_EXPIRY_SCHEDULER_ID,
        { every: this.config.QUIZ_EXPIRY_SWEEP_SECONDS * 1000 },
        {
          name: 'expire-quiz-attempts',
          data: {} satisfies ExpireQuizAttemptsPayload,
          // A missed run is made up by the next one: no retries, and little history.
          opts: { attempts: 1, removeOnComplete: { count: 100 }, removeOnFail: { count: 100 } },
        },
      )
      .catch((err: unknown) =>
        this.logger.warn(
          `could not schedule the quiz expiry sweep: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
  }

  @JobHandler('progress', 'expire-quiz-attempts')
  async handle(_payload: ExpireQuizAttemptsPayload): Promise<{ finalized: number }> {
    return { finalized: await this.expiry.sweep() };
  }
}
