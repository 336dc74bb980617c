export { Quiz, QUIZ_TYPES, type QuizType } from './quiz.entity.js';
export { QuizQuestion, QUESTION_TYPES, type QuestionType, type QuestionOption } from './quiz-question.entity.js';
export { QuizAttempt, ATTEMPT_STATUSES, type AttemptStatus, type StoredAnswer } from './quiz-attempt.entity.js';
export { QuizzesModule } from './quizzes.module.js';
export { QuizzesHttpModule } from './quizzes-http.module.js';
export { QuizExpiryService, SWEEP_BATCH_SIZE } from './quiz-expiry.service.js';
export { QuizExpiryHandler, QUIZ_EXPIRY_SCHEDULER_ID } from './quiz-expiry.handler.js';
export { AttemptsService } from './attempts.service.js';
export { QuizzesService, toQuizResponse, COURSE_QUIZZES_SQL } from './quizzes.service.js';
export { QuestionsService } from './questions.service.js';
export { QUIZ_CACHE_NS, canViewQuiz, canManageQuiz } from './quiz-access.js';
export { CreateQuizDto, UpdateQuizDto, QuizResponseDto, QuizSummaryDto, QuizListResponseDto } from './dto/quiz.dto.js';
export {
  CreateQuestionDto,
  UpdateQuestionDto,
  QuestionOptionInputDto,
  ReorderQuestionsDto,
} from './dto/question.dto.js';
export {
  PublicQuestionDto,
  PublicOptionDto,
  ManagedQuestionDto,
  ManagedOptionDto,
  toPublicQuestion,
  toManagedQuestion,
  shuffled,
} from './question-views.js';
export {
  questionViolation,
  questionRuleMessage,
  normalizeAnswer,
  type QuestionRuleInput,
  type QuestionRuleViolation,
} from './question-rules.js';
