import { Injectable } from '@nestjs/common';
import { JobHandler, type ExpireQuizAttemptsPayload } from '#core';

/** progress / expire-quiz-attempts: finalizes in-progress attempts past their deadline. */
@Injectable()
export class QuizExpiryHandler {
  @JobHandler('progress', 'expire-quiz-attempts')
  async handle(_payload: ExpireQuizAttemptsPayload): Promise<void> {
    // filled in by the attempts work
  }
}
