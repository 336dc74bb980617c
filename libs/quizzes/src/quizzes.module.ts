import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { QuizAttempt } from './quiz-attempt.entity.js';
import { QuizQuestion } from './quiz-question.entity.js';
import { Quiz } from './quiz.entity.js';
import { QuizExpiryHandler } from './quiz-expiry.handler.js';
import { QuizExpiryService } from './quiz-expiry.service.js';

/** Quiz entities and, where workers run, the expiry sweep (progress / expire-quiz-attempts). */
@Module({})
export class QuizzesModule {
  static forRoot(opts: { workers: boolean }): DynamicModule {
    return {
      module: QuizzesModule,
      imports: [TypeOrmModule.forFeature([Quiz, QuizQuestion, QuizAttempt])],
      providers: [QuizExpiryService, ...(opts.workers ? [QuizExpiryHandler] : [])],
      exports: [TypeOrmModule, QuizExpiryService],
    };
  }
}
