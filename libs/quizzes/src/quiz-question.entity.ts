import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Quiz } from './quiz.entity.js';

export const QUESTION_TYPES = ['multiple_choice', 'multiple_response', 'true_false', 'short_answer', 'essay'] as const;
export type QuestionType = (typeof QUESTION_TYPES)[number];

/** One option of a multiple_choice / multiple_response question, as stored. */
export interface QuestionOption {
  option_id: string;
  option_text: string;
  is_correct: boolean;
}

@Entity({ name: 'quiz_questions' })
@Check(
  'chk_quiz_questions_type',
  "question_type IN ('multiple_choice', 'multiple_response', 'true_false', 'short_answer', 'essay')",
)
@Check('chk_quiz_questions_points', 'points >= 0')
// Positions are unique per quiz; deferred so a reorder can permute them in one transaction.
@Unique('uq_quiz_questions_quiz_order', ['quizId', 'orderIndex'], { deferrable: 'INITIALLY DEFERRED' })
export class QuizQuestion {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'quiz_id', type: 'uuid' }) quizId!: string;
  @ManyToOne(() => Quiz, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'quiz_id' })
  quiz?: Relation<Quiz>;
  @Column({ name: 'question_text', type: 'text' }) questionText!: string;
  @Column({ name: 'question_type', type: 'varchar', length: 30 }) questionType!: QuestionType;
  /** Decimal string, e.g. "1.00". */
  @Column({ type: 'numeric', precision: 8, scale: 2, default: 1 }) points!: string;
  @Column({ name: 'order_index', type: 'integer' }) orderIndex!: number;
  @Column({ type: 'text', nullable: true }) explanation!: string | null;
  /** Options of choice questions (null for the other types). */
  @Column({ type: 'jsonb', nullable: true }) options!: QuestionOption[] | null;
  /** true_false ("true"/"false") and short_answer only. */
  @Column({ name: 'correct_answer', type: 'text', nullable: true }) correctAnswer!: string | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) metadata!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
