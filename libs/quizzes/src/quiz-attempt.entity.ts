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
import { Enrollment } from '#enrollments';
import { User } from '#users';
import { Quiz } from './quiz.entity.js';

export const ATTEMPT_STATUSES = ['in_progress', 'submitted', 'graded'] as const;
export type AttemptStatus = (typeof ATTEMPT_STATUSES)[number];

/** One graded (or awaiting-grading) answer, as stored in quiz_attempts.answers: one per quiz question. */
export interface StoredAnswer {
  question_id: string;
  selected_option_id: string | null;
  selected_option_ids: string[] | null;
  answer_text: string | null;
  /** null while an essay awaits manual grading. */
  is_correct: boolean | null;
  points_earned: number | null;
  /** The grader's comment on an essay answer. */
  feedback: string | null;
}

@Entity({ name: 'quiz_attempts' })
@Check('chk_quiz_attempts_status', "status IN ('in_progress', 'submitted', 'graded')")
@Check('chk_quiz_attempts_number', 'attempt_number >= 1')
// attempt_number is unique per student (enrollment) and quiz: concurrent starts cannot share a number.
@Unique('uq_quiz_attempts_quiz_enrollment_number', ['quizId', 'enrollmentId', 'attemptNumber'])
// At most one in-progress attempt per student and quiz, whatever the concurrency.
@Index('uq_quiz_attempts_one_in_progress', ['quizId', 'enrollmentId'], {
  unique: true,
  where: "status = 'in_progress'",
})
// The expiry sweep: in-progress attempts by deadline.
@Index('idx_quiz_attempts_deadline', ['deadlineAt'], { where: "status = 'in_progress'" })
// A manager's attempt list of a quiz, newest first: all, or by status (e.g. those awaiting grading).
@Index('idx_quiz_attempts_quiz_started', ['quizId', 'startedAt'])
@Index('idx_quiz_attempts_quiz_status_started', ['quizId', 'status', 'startedAt'])
@Index('idx_quiz_attempts_enrollment', ['enrollmentId'])
export class QuizAttempt {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'quiz_id', type: 'uuid' }) quizId!: string;
  @ManyToOne(() => Quiz, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'quiz_id' })
  quiz?: Relation<Quiz>;
  @Column({ name: 'enrollment_id', type: 'uuid' }) enrollmentId!: string;
  @ManyToOne(() => Enrollment, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'enrollment_id' })
  enrollment?: Relation<Enrollment>;
  @Column({ name: 'student_id', type: 'uuid' }) studentId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'student_id' })
  student?: Relation<User>;
  @Column({ name: 'attempt_number', type: 'integer' }) attemptNumber!: number;
  @Column({ type: 'varchar', length: 20, default: 'in_progress' }) status!: AttemptStatus;
  /** Set by the server (its Clock), never by the client. */
  @Column({ name: 'started_at', type: 'timestamptz' }) startedAt!: Date;
  /** started_at + time limit; null when the quiz has no time limit. */
  @Column({ name: 'deadline_at', type: 'timestamptz', nullable: true }) deadlineAt!: Date | null;
  @Column({ name: 'submitted_at', type: 'timestamptz', nullable: true }) submittedAt!: Date | null;
  @Column({ name: 'graded_at', type: 'timestamptz', nullable: true }) gradedAt!: Date | null;
  @Column({ name: 'graded_by', type: 'uuid', nullable: true }) gradedBy!: string | null;
  @Column({ type: 'numeric', precision: 10, scale: 2, nullable: true }) score!: string | null;
  @Column({ name: 'max_score', type: 'numeric', precision: 10, scale: 2 }) maxScore!: string;
  @Column({ type: 'numeric', precision: 5, scale: 2, nullable: true }) percentage!: string | null;
  @Column({ name: 'is_passed', type: 'boolean', nullable: true }) isPassed!: boolean | null;
  @Column({ name: 'time_taken_seconds', type: 'integer', nullable: true }) timeTakenSeconds!: number | null;
  /** Finalized at the deadline without the student's answers (late submit or the expiry sweep). */
  @Column({ type: 'boolean', default: false }) expired!: boolean;
  @Column({ type: 'jsonb', default: () => "'[]'" }) answers!: StoredAnswer[];
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
