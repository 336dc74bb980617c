import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CoursesModule } from '#courses';
import { EnrollmentsHttpModule } from '#enrollments';
import { AttemptsController } from './attempts.controller.js';
import { AttemptsService } from './attempts.service.js';
import { QuestionsController } from './questions.controller.js';
import { QuestionsService } from './questions.service.js';
import { QuizAttempt } from './quiz-attempt.entity.js';
import { QuizQuestion } from './quiz-question.entity.js';
import { Quiz } from './quiz.entity.js';
import { QuizzesController } from './quizzes.controller.js';
import { QuizzesService } from './quizzes.service.js';

/** /courses/{course_id}/quizzes (quizzes, questions) and /quizzes/{quiz_id}/attempts. */
@Module({
  imports: [TypeOrmModule.forFeature([Quiz, QuizQuestion, QuizAttempt]), CoursesModule, EnrollmentsHttpModule],
  controllers: [QuizzesController, QuestionsController, AttemptsController],
  providers: [QuizzesService, QuestionsService, AttemptsService],
  exports: [QuizzesService, QuestionsService, AttemptsService],
})
export class QuizzesHttpModule {}
