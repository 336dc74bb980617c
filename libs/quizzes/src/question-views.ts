import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { QUESTION_TYPES, type QuestionOption, type QuestionType, type QuizQuestion } from './quiz-question.entity.js';

/** An option as students see it: never whether it is correct. */
export class PublicOptionDto {
  @ApiProperty() option_id!: string;
  @ApiProperty() option_text!: string;
}

/**
 * A question as students see it (GET .../questions, GET /quizzes/{id}/attempts/start): no
 * is_correct, correct_answer or explanation, ever.
 */
export class PublicQuestionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() question_text!: string;
  @ApiProperty({ enum: QUESTION_TYPES }) question_type!: QuestionType;
  @ApiProperty({ description: 'Decimal string', example: '1.00' }) points!: string;
  @ApiProperty({ type: [PublicOptionDto], nullable: true, description: 'Choice questions only' })
  options!: PublicOptionDto[] | null;
}

/** A stored option (manager views). */
export class ManagedOptionDto {
  @ApiProperty() option_id!: string;
  @ApiProperty() option_text!: string;
  @ApiProperty() is_correct!: boolean;
}

/** A question with its answer data (course managers only: GET .../questions/manage, create, patch). */
export class ManagedQuestionDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty({ format: 'uuid' }) quiz_id!: string;
  @ApiProperty() question_text!: string;
  @ApiProperty({ enum: QUESTION_TYPES }) question_type!: QuestionType;
  @ApiProperty({ example: '1.00' }) points!: string;
  @ApiProperty({ type: 'integer' }) order_index!: number;
  @ApiProperty({ type: String, nullable: true }) explanation!: string | null;
  @ApiProperty({ type: [ManagedOptionDto], nullable: true }) options!: ManagedOptionDto[] | null;
  @ApiPropertyOptional({ type: String, nullable: true }) correct_answer!: string | null;
}

type QuestionFields = Pick<QuizQuestion, 'id' | 'questionText' | 'questionType' | 'points' | 'options'>;

/** The fields the manager view reads (an entity, or a raw row selected with these aliases). */
export type ManagedQuestionFields = QuestionFields &
  Pick<QuizQuestion, 'quizId' | 'orderIndex' | 'explanation' | 'correctAnswer'>;

/** Fisher–Yates on a copy (crypto-quality randomness is not needed: order is not a secret). */
export function shuffled<T>(items: readonly T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** The student-facing view of a question; options in stored order, or shuffled. */
export function toPublicQuestion(q: QuestionFields, shuffleOptions = false): PublicQuestionDto {
  const options = q.options?.map((o: QuestionOption) => ({ option_id: o.option_id, option_text: o.option_text }));
  return {
    id: q.id,
    question_text: q.questionText,
    question_type: q.questionType,
    points: q.points,
    options: options ? (shuffleOptions ? shuffled(options) : options) : null,
  };
}

/** The manager view of a question (answer data included). */
export function toManagedQuestion(q: ManagedQuestionFields): ManagedQuestionDto {
  return {
    id: q.id,
    quiz_id: q.quizId,
    question_text: q.questionText,
    question_type: q.questionType,
    points: q.points,
    order_index: q.orderIndex,
    explanation: q.explanation,
    options:
      q.options?.map((o) => ({ option_id: o.option_id, option_text: o.option_text, is_correct: o.is_correct })) ?? null,
    correct_answer: q.correctAnswer,
  };
}
