export { Quiz, QUIZ_TYPES, type QuizType } from './quiz.entity.js';
export { QuizQuestion, QUESTION_TYPES, type QuestionType, type QuestionOption } from './quiz-question.entity.js';
export { QuizAttempt, ATTEMPT_STATUSES, type AttemptStatus, type StoredAnswer } from './quiz-attempt.entity.js';
export { QuizzesModule } from './quizzes.module.js';
export { QuizzesHttpModule } from './quizzes-http.module.js';
