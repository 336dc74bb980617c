import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, type Repository } from 'typeorm';
import { AppConfig, CacheService, ProblemException, type AuthUser, isUniqueViolation } from '#core';
import { CACHE_NS, canManageCourse, canViewCourse, viewerKey } from './course-access.js';
import { Course } from './course.entity.js';
import type { CreateLessonDto, LessonListResponseDto, LessonResponseDto, UpdateLessonDto } from './dto/lesson.dto.js';
import { Lesson } from './lesson.entity.js';
import { SLUG_MAX, slugify } from './slug.js';

const ORDER_CONSTRAINT = 'uq_lessons_course_order';
/** Attempts for a create that takes the default position and loses a race anyway (see create). */
const DEFAULT_ORDER_ATTEMPTS = 3;

type CourseAccess = Pick<Course, 'id' | 'instructorId' | 'isPublished'>;

/** The default slug of a lesson: slugify(title) (lesson slugs are not unique), "lesson" when empty. */
export function lessonSlug(title: string): string {
  return slugify(title).slice(0, SLUG_MAX).replace(/-+$/, '') || 'lesson';
}

/**
 * A video URL as stored: trimmed, blank → null; otherwise it must be http(s) with a host
 * (422 `invalid_video_url`).
 */
export function normalizeVideoUrl(value: string | null | undefined): string | null {
  const url = value?.trim();
  if (!url) return null;
  let parsed: URL | undefined;
  try {
    parsed = /^https?:\/\/[^/?#\\]/i.test(url) ? new URL(url) : undefined; // an authority right after "//"
  } catch {
    parsed = undefined;
  }
  if (!parsed || (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') || !parsed.hostname) {
    throw fieldProblem('invalid_video_url', 'video_url', 'video_url must be a valid http/https URL');
  }
  return url;
}

export function toLessonResponse(lesson: Lesson): LessonResponseDto {
  return {
    id: lesson.id,
    course_id: lesson.courseId,
    title: lesson.title,
    slug: lesson.slug,
    description: lesson.description,
    content: lesson.content,
    lesson_type: lesson.lessonType,
    order_index: lesson.orderIndex,
    parent_lesson_id: lesson.parentLessonId,
    duration_minutes: lesson.durationMinutes,
    video_url: lesson.videoUrl,
    is_preview: lesson.isPreview,
    created_at: lesson.createdAt.toISOString(),
    updated_at: lesson.updatedAt.toISOString(),
  };
}

/** A 422 about one field (same shape as the validation pipe's problems). */
function fieldProblem(code: string, field: string, message: string): ProblemException {
  return new ProblemException(422, code, message, { errors: [{ field, message, code }] });
}

const courseNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Course not found');
const lessonNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Lesson not found');
const parentNotFound = (): ProblemException => new ProblemException(404, 'parent_not_found', 'Parent lesson not found');
const cannotManage = (): ProblemException =>
  new ProblemException(403, 'forbidden', 'Not authorized to manage lessons for this course');
const orderConflict = (): ProblemException =>
  new ProblemException(409, 'order_conflict', 'Lesson already exists or order index conflicts');

function isOrderConflict(err: unknown): boolean {
  return isUniqueViolation(err, ORDER_CONSTRAINT);
}

/** The video_url sent (video_link is the original API's alias): undefined when neither was. */
function sentVideoUrl(body: { video_url?: string | null; video_link?: string | null }): string | null | undefined {
  return body.video_url !== undefined ? body.video_url : body.video_link;
}

/**
 * Lessons of a course. Reads are cached per viewer (CACHE_NS.lessons); the course's visibility is
 * checked against the database on every read, so publishing, unpublishing or deleting a course takes
 * effect at once even without a lessons-cache invalidation. Writes run in a transaction that locks
 * the course row (FOR NO KEY UPDATE), which serializes positions and parent changes per course, and
 * recount the course's total_lessons and total_duration_minutes (its response's total_lessons and
 * duration_hours) in the same transaction.
 */
@Injectable()
export class LessonsService {
  constructor(
    @InjectRepository(Lesson) private readonly lessons: Repository<Lesson>,
    @InjectRepository(Course) private readonly courses: Repository<Course>,
    @Inject(CacheService) private readonly cache: CacheService,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async list(courseId: string, user: AuthUser | undefined): Promise<LessonListResponseDto> {
    const course = await this.findCourse(courseId);
    if (!course) throw courseNotFound();
    if (!canViewCourse(user, course)) {
      throw new ProblemException(403, 'forbidden', 'Not authorized to view lessons for this course');
    }
    return this.cache.getOrLoad(
      CACHE_NS.lessons,
      `course:${courseId}:${viewerKey(user)}`,
      this.config.LESSON_CACHE_TTL_SECONDS,
      async () => {
        const rows = await this.lessons.find({ where: { courseId }, order: { orderIndex: 'ASC' } });
        return { items: rows.map(toLessonResponse), total: rows.length };
      },
    );
  }

  async get(id: string, user: AuthUser | undefined): Promise<LessonResponseDto> {
    const lesson = await this.cache.getOrLoad(
      CACHE_NS.lessons,
      `lesson:${id}:${viewerKey(user)}`,
      this.config.LESSON_CACHE_TTL_SECONDS,
      async () => {
        const row = await this.lessons.findOneBy({ id });
        return row ? toLessonResponse(row) : undefined; // undefined: misses are not cached
      },
    );
    if (!lesson) throw lessonNotFound();
    const course = await this.findCourse(lesson.course_id);
    if (!course) throw lessonNotFound();
    if (!canViewCourse(user, course))
      throw new ProblemException(403, 'forbidden', 'Not authorized to view this lesson');
    return lesson;
  }

  async create(courseId: string, user: AuthUser, body: CreateLessonDto): Promise<LessonResponseDto> {
    const course = await this.findCourse(courseId);
    if (!course) throw courseNotFound();
    if (!canManageCourse(user, course)) throw cannotManage();

    const videoUrl = normalizeVideoUrl(sentVideoUrl(body));
    if (videoUrl !== null && body.lesson_type !== 'video') {
      throw fieldProblem('video_url_not_allowed', 'video_url', 'video_url is only allowed for video lessons');
    }
    const explicitOrder = body.order_index ?? undefined;

    // The course lock serializes default positions; a concurrent PATCH or explicit position can
    // still take max+1 first (unique violation): retry then, as nothing was written.
    for (let attempt = 1; ; attempt++) {
      try {
        const saved = await this.lessons.manager.transaction(async (em) => {
          if (!(await this.lockCourse(em, courseId))) throw courseNotFound();
          const parentLessonId = body.parent_lesson_id ?? null;
          if (parentLessonId !== null) await this.checkParent(em, courseId, parentLessonId);
          const orderIndex = explicitOrder ?? (await this.nextOrderIndex(em, courseId));
          const lesson = await em.save(
            em.create(Lesson, {
              courseId,
              title: body.title,
              slug: body.slug ? body.slug : lessonSlug(body.title),
              description: body.description ?? null,
              content: body.content ?? null,
              lessonType: body.lesson_type,
              orderIndex,
              parentLessonId,
              durationMinutes: body.duration_minutes ?? null,
              videoUrl,
              isPreview: body.is_preview ?? false,
              metadata: body.metadata ?? {},
            }),
          );
          await this.refreshCourseTotals(em, courseId);
          return lesson;
        });
        await this.invalidate();
        return toLessonResponse(saved);
      } catch (err) {
        if (!isOrderConflict(err)) throw err;
        if (explicitOrder !== undefined || attempt >= DEFAULT_ORDER_ATTEMPTS) throw orderConflict();
      }
    }
  }

  async update(id: string, user: AuthUser, body: UpdateLessonDto): Promise<LessonResponseDto> {
    const current = await this.lessons.findOneBy({ id });
    if (!current) throw lessonNotFound();
    const course = await this.findCourse(current.courseId);
    if (!course) throw lessonNotFound();
    if (!canManageCourse(user, course)) throw cannotManage();
    if (body.parent_lesson_id === id) {
      throw fieldProblem('lesson_cycle', 'parent_lesson_id', 'Lesson cannot be its own parent');
    }

    let saved: Lesson;
    try {
      saved = await this.lessons.manager.transaction(async (em) => {
        if (!(await this.lockCourse(em, current.courseId))) throw lessonNotFound();
        const lesson = await em.findOne(Lesson, { where: { id }, lock: { mode: 'pessimistic_write' } });
        if (!lesson || lesson.courseId !== current.courseId) throw lessonNotFound();

        const lessonType = body.lesson_type ?? lesson.lessonType;
        const sent = sentVideoUrl(body);
        if (sent !== undefined) {
          const videoUrl = normalizeVideoUrl(sent);
          if (videoUrl !== null && lessonType !== 'video') {
            throw fieldProblem('video_url_not_allowed', 'video_url', 'video_url is only allowed for video lessons');
          }
          lesson.videoUrl = videoUrl;
        } else if (lessonType !== 'video') {
          lesson.videoUrl = null;
        }

        if (body.parent_lesson_id !== undefined && body.parent_lesson_id !== lesson.parentLessonId) {
          if (body.parent_lesson_id !== null) {
            await this.checkParent(em, lesson.courseId, body.parent_lesson_id);
            await this.checkNoCycle(em, lesson.id, body.parent_lesson_id);
          }
          lesson.parentLessonId = body.parent_lesson_id;
        }

        if (body.title !== undefined) lesson.title = body.title;
        if (body.slug !== undefined) lesson.slug = body.slug ? body.slug : lessonSlug(lesson.title);
        if (body.description !== undefined) lesson.description = body.description;
        if (body.content !== undefined) lesson.content = body.content;
        lesson.lessonType = lessonType;
        if (body.order_index !== undefined) lesson.orderIndex = body.order_index;
        if (body.duration_minutes !== undefined) lesson.durationMinutes = body.duration_minutes;
        if (body.is_preview !== undefined) lesson.isPreview = body.is_preview;
        if (body.metadata !== undefined) lesson.metadata = body.metadata ?? {};

        await em.save(lesson);
        if (body.duration_minutes !== undefined) await this.refreshCourseTotals(em, lesson.courseId);
        return (await em.findOneBy(Lesson, { id }))!;
      });
    } catch (err) {
      if (isOrderConflict(err)) throw orderConflict();
      throw err;
    }
    await this.invalidate();
    return toLessonResponse(saved);
  }

  async remove(id: string, user: AuthUser): Promise<void> {
    const current = await this.lessons.findOneBy({ id });
    if (!current) throw lessonNotFound();
    const course = await this.findCourse(current.courseId);
    if (!course) throw lessonNotFound();
    if (!canManageCourse(user, course)) throw cannotManage();
    await this.lessons.manager.transaction(async (em) => {
      if (!(await this.lockCourse(em, current.courseId))) throw lessonNotFound();
      const result = await em.delete(Lesson, { id, courseId: current.courseId });
      if (!result.affected) throw lessonNotFound();
      await this.refreshCourseTotals(em, current.courseId);
    });
    await this.invalidate();
  }

  private findCourse(id: string): Promise<CourseAccess | null> {
    return this.courses.findOne({ where: { id }, select: { id: true, instructorId: true, isPublished: true } });
  }

  /** Locks the course row for this transaction; false when the course is gone. */
  private async lockCourse(em: EntityManager, courseId: string): Promise<boolean> {
    const rows = (await em.query('SELECT id FROM courses WHERE id = $1 FOR NO KEY UPDATE', [courseId])) as unknown[];
    return rows.length > 0;
  }

  /**
   * Recounts the course's total_lessons and total_duration_minutes, in the transaction of the lesson
   * write and under its course lock (so a concurrent write to the same course waits, and this
   * statement's snapshot sees everything committed before). The callers then clear the course cache.
   */
  private async refreshCourseTotals(em: EntityManager, courseId: string): Promise<void> {
    await em.query(
      `UPDATE courses c SET total_lessons = l.n, total_duration_minutes = l.minutes
       FROM (SELECT count(*)::int AS n, coalesce(sum(duration_minutes), 0) AS minutes
             FROM lessons WHERE course_id = $1) l
       WHERE c.id = $1`,
      [courseId],
    );
  }

  private async nextOrderIndex(em: EntityManager, courseId: string): Promise<number> {
    const [row] = (await em.query(
      'SELECT COALESCE(MAX(order_index), 0) + 1 AS next FROM lessons WHERE course_id = $1',
      [courseId],
    )) as Array<{ next: number | string }>;
    return Number(row!.next);
  }

  /** The parent exists (kept until commit: FOR KEY SHARE) and belongs to the same course. */
  private async checkParent(em: EntityManager, courseId: string, parentId: string): Promise<void> {
    const [parent] = (await em.query('SELECT course_id FROM lessons WHERE id = $1 FOR KEY SHARE', [
      parentId,
    ])) as Array<{
      course_id: string;
    }>;
    if (!parent) throw parentNotFound();
    if (parent.course_id !== courseId) {
      throw fieldProblem('parent_other_course', 'parent_lesson_id', 'Parent lesson must belong to the same course');
    }
  }

  /** Making `parentId` the parent of `lessonId` must not close a loop: lessonId is not among parentId's ancestors. */
  private async checkNoCycle(em: EntityManager, lessonId: string, parentId: string): Promise<void> {
    const rows = (await em.query(
      `WITH RECURSIVE ancestors(id, parent_lesson_id) AS (
         SELECT id, parent_lesson_id FROM lessons WHERE id = $1
         UNION
         SELECT l.id, l.parent_lesson_id FROM lessons l JOIN ancestors a ON l.id = a.parent_lesson_id
       )
       SELECT 1 FROM ancestors WHERE id = $2 LIMIT 1`,
      [parentId, lessonId],
    )) as unknown[];
    if (rows.length > 0) throw fieldProblem('lesson_cycle', 'parent_lesson_id', 'Parent lesson creates a cycle');
  }

  private invalidate(): Promise<void> {
    return this.cache.invalidate(CACHE_NS.lessons, CACHE_NS.courses, CACHE_NS.quizzes);
  }
}
