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
import { Course } from './course.entity.js';

export const LESSON_TYPES = ['video', 'text', 'quiz', 'assignment'] as const;
export type LessonType = (typeof LESSON_TYPES)[number];

@Entity({ name: 'lessons' })
@Check('chk_lessons_type', "lesson_type IN ('video', 'text', 'quiz', 'assignment')")
@Unique('uq_lessons_course_order', ['courseId', 'orderIndex'])
@Index('idx_lessons_parent', ['parentLessonId'])
export class Lesson {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'course_id', type: 'uuid' }) courseId!: string;
  @ManyToOne(() => Course, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'course_id' })
  course?: Relation<Course>;
  @Column({ type: 'varchar', length: 255 }) title!: string;
  @Column({ type: 'varchar', length: 255 }) slug!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;
  @Column({ type: 'text', nullable: true }) content!: string | null;
  @Column({ name: 'lesson_type', type: 'varchar', length: 20 }) lessonType!: LessonType;
  @Column({ name: 'order_index', type: 'integer' }) orderIndex!: number;
  @Column({ name: 'parent_lesson_id', type: 'uuid', nullable: true }) parentLessonId!: string | null;
  @ManyToOne(() => Lesson, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'parent_lesson_id' })
  parentLesson?: Relation<Lesson> | null;
  @Column({ name: 'duration_minutes', type: 'integer', nullable: true }) durationMinutes!: number | null;
  @Column({ name: 'video_url', type: 'varchar', length: 2048, nullable: true }) videoUrl!: string | null;
  @Column({ name: 'is_preview', type: 'boolean', default: false }) isPreview!: boolean;
  @Column({ type: 'jsonb', default: () => "'{}'" }) metadata!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
