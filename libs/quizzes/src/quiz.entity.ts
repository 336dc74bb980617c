import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryGeneratedColumn,
  Unique,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { Course, Lesson } from '#courses';

export const QUIZ_TYPES = ['practice', 'graded'] as const;
export type QuizType = (typeof QUIZ_TYPES)[number];

@Entity({ name: 'quizzes' })
// One quiz per lesson.
@Unique('uq_quizzes_lesson', ['lessonId'])
@Check('chk_quizzes_type', "quiz_type IN ('practice', 'graded')")
@Check('chk_quizzes_passing_score', 'passing_score BETWEEN 0 AND 100')
@Check('chk_quizzes_time_limit', 'time_limit_minutes IS NULL OR time_limit_minutes >= 1')
@Check('chk_quizzes_max_attempts', 'max_attempts IS NULL OR max_attempts >= 1')
// A course's quizzes, newest first.
@Index('idx_quizzes_course_created', ['courseId', 'createdAt'])
export class Quiz {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'course_id', type: 'uuid' }) courseId!: string;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'course_id' })
  course?: Relation<Course>;
  @Column({ name: 'lesson_id', type: 'uuid' }) lessonId!: string;
  @ManyToOne(() => Lesson, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'lesson_id' })
  lesson?: Relation<Lesson>;
  @Column({ type: 'varchar', length: 255 }) title!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ name: 'quiz_type', type: 'varchar', length: 20, default: 'graded' }) quizType!: QuizType;
  @Column({ name: 'time_limit_minutes', type: 'integer', nullable: true }) timeLimitMinutes!: number | null;
  /** Decimal string, e.g. "70.00". */
  @Column({ name: 'passing_score', type: 'numeric', precision: 5, scale: 2, default: 70 }) passingScore!: string;
  /** null: unlimited. */
  @Column({ name: 'max_attempts', type: 'integer', nullable: true }) maxAttempts!: number | null;
  @Column({ name: 'shuffle_questions', type: 'boolean', default: true }) shuffleQuestions!: boolean;
  @Column({ name: 'shuffle_options', type: 'boolean', default: true }) shuffleOptions!: boolean;
  @Column({ name: 'show_correct_answers', type: 'boolean', default: true }) showCorrectAnswers!: boolean;
  @Column({ name: 'is_published', type: 'boolean', default: false }) isPublished!: boolean;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
