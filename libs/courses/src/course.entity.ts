import {
  Check,
  Column,
  CreateDateColumn,
  Entity,
  Index,
  JoinColumn,
  JoinTable,
  ManyToMany,
  ManyToOne,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
  type Relation,
} from 'typeorm';
import { User } from '#users';
import { Category } from './category.entity.js';

export const DIFFICULTY_LEVELS = ['beginner', 'intermediate', 'advanced'] as const;
export type DifficultyLevel = (typeof DIFFICULTY_LEVELS)[number];

/** numeric columns arrive from pg as strings; keep them as strings ("70.00") on the way out. */
const decimal = { type: 'numeric', precision: 10, scale: 2 } as const;

@Entity({ name: 'courses' })
@Check(
  'chk_courses_difficulty',
  "difficulty_level IS NULL OR difficulty_level IN ('beginner', 'intermediate', 'advanced')",
)
// Catalog list: published courses, newest first (and the admin "all" list). `id` completes the sort
// key (created_at DESC, id DESC), so a page's ids and the count are index-only scans.
@Index('idx_courses_published_created', ['isPublished', 'createdAt', 'id'])
@Index('idx_courses_instructor_created', ['instructorId', 'createdAt'])
@Index('idx_courses_category', ['categoryId'])
// Case-insensitive substring search (ILIKE) on title/description uses trigram GIN indexes, created
// by hand in the migration (TypeORM cannot declare operator classes): synchronize false.
@Index('idx_courses_title_trgm', { synchronize: false })
@Index('idx_courses_description_trgm', { synchronize: false })
export class Course {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'varchar', length: 255 }) title!: string;
  @Index('uq_courses_slug', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  slug!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ name: 'long_description', type: 'text', nullable: true }) longDescription!: string | null;

  @Column({ name: 'instructor_id', type: 'uuid' }) instructorId!: string;
  @ManyToOne(() => User, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'instructor_id' })
  instructor?: Relation<User>;

  @Column({ name: 'category_id', type: 'uuid', nullable: true }) categoryId!: string | null;
  @ManyToOne(() => Category, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'category_id' })
  category?: Relation<Category> | null;

  @Column({ name: 'difficulty_level', type: 'varchar', length: 20, nullable: true })
  difficultyLevel!: DifficultyLevel | null;
  @Column({ name: 'is_published', type: 'boolean', default: false }) isPublished!: boolean;
  @Column({ name: 'published_at', type: 'timestamptz', nullable: true }) publishedAt!: Date | null;
  @Column({ name: 'thumbnail_url', type: 'varchar', length: 2048, nullable: true }) thumbnailUrl!: string | null;
  @Column({ name: 'estimated_duration_minutes', type: 'integer', nullable: true })
  estimatedDurationMinutes!: number | null;
  @Column({ ...decimal, default: 0 }) price!: string;
  @Column({ type: 'varchar', length: 3, default: 'USD' }) currency!: string;
  @Column({ name: 'is_free', type: 'boolean', default: true }) isFree!: boolean;
  @Column({ name: 'preview_video_url', type: 'varchar', length: 2048, nullable: true }) previewVideoUrl!: string | null;
  @Column({ type: 'jsonb', default: () => "'[]'" }) requirements!: string[];
  @Column({ name: 'learning_objectives', type: 'jsonb', default: () => "'[]'" }) learningObjectives!: string[];
  @Column({ type: 'varchar', length: 20, nullable: true }) status!: string | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) metadata!: Record<string, unknown>;
  /** Maintained from enrollment reviews. */
  @Column({ name: 'average_rating', type: 'numeric', precision: 3, scale: 2, default: 0 }) averageRating!: string;
  @Column({ name: 'total_reviews', type: 'integer', default: 0 }) totalReviews!: number;
  @Column({ name: 'enrollment_count', type: 'integer', default: 0 }) enrollmentCount!: number;
  /** Published quizzes of the course (maintained by the quizzes feature on publish, unpublish and delete). */
  @Column({ name: 'total_quizzes', type: 'integer', default: 0 }) totalQuizzes!: number;
  /** The course's lessons and the sum of their duration_minutes: LessonsService keeps them with every lesson write. */
  @Column({ name: 'total_lessons', type: 'integer', default: 0 }) totalLessons!: number;
  @Column({ name: 'total_duration_minutes', type: 'bigint', default: 0 }) totalDurationMinutes!: string;

  /** Courses a student must have completed before enrolling (no cycles, no self). */
  @ManyToMany(() => Course)
  @JoinTable({
    name: 'course_prerequisites',
    joinColumn: { name: 'course_id', referencedColumnName: 'id' },
    inverseJoinColumn: { name: 'prerequisite_course_id', referencedColumnName: 'id' },
  })
  prerequisites?: Relation<Course[]>;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
