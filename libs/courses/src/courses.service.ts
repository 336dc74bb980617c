import { Inject, Injectable, Optional } from '@nestjs/common';
import type { Pool } from 'pg';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type EntityManager, type QueryDeepPartialEntity } from 'typeorm';
import {
  AppConfig,
  CacheService,
  OutboxService,
  paginate,
  ProblemException,
  type AuthUser,
  type Page,
  isUniqueViolation,
  pgError,
  runSql,
  pgPoolOf,
  queryPrepared,
} from '#core';
import { canManageCourse, canViewCourse, CACHE_NS, viewerKey } from './course-access.js';
import {
  catalogStatements,
  COURSE_BY_ID_SQL,
  COURSE_BY_SLUG_SQL,
  toCourseResponse,
  type CourseRow,
} from './catalog-sql.js';
import { Course } from './course.entity.js';
import type { CourseResponseDto, CreateCourseDto, ListCoursesQueryDto, UpdateCourseDto } from './dto/course.dto.js';
import { baseSlug, containsPattern, firstFreeSlug, SLUG_MAX } from './slug.js';

/** Transaction-scoped advisory lock serializing changes to the prerequisite graph (cycle checks). */
export const PREREQUISITE_GRAPH_LOCK_KEY = 7_204_311_914;
const DERIVED_SLUG_ATTEMPTS = 5;

export function courseNotFound(): ProblemException {
  return new ProblemException(404, 'not_found', 'Course not found');
}

function notAuthorizedToView(): ProblemException {
  return new ProblemException(403, 'forbidden', 'Not authorized to access this course');
}

function notAuthorizedToManage(): ProblemException {
  return new ProblemException(403, 'forbidden', 'Not authorized to manage this course');
}

function unknownCategory(slug: string): ProblemException {
  return new ProblemException(422, 'unknown_category', `Unknown category: ${slug}`, {
    errors: [{ field: 'category', message: `Unknown category: ${slug}`, code: 'unknown_category' }],
  });
}

function unknownPrerequisites(ids: string[]): ProblemException {
  return new ProblemException(422, 'unknown_prerequisite', `Unknown prerequisite course(s): ${ids.join(', ')}`, {
    course_ids: ids,
    errors: [
      { field: 'prerequisite_course_ids', message: 'Unknown prerequisite course', code: 'unknown_prerequisite' },
    ],
  });
}

/** A cached lookup: the response, or why the viewer may not have it. */
type Lookup = { course: CourseResponseDto } | { error: 'not_found' | 'forbidden' };

/**
 * Courses: the catalog (visibility rules of course-access.ts, cached per viewer), writes by the
 * course's managers, prerequisites (an acyclic graph) and publishing (with the `course.published`
 * outbox event). Used by the HTTP layer.
 */
@Injectable()
export class CoursesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(OutboxService) private readonly outbox: OutboxService,
    // Absent in the worker (no CacheModule there): reads go to the database.
    @Optional() @Inject(CacheService) private readonly cache?: CacheService,
  ) {
    this.pool = pgPoolOf(dataSource);
  }

  /** The catalog's reads run as named prepared statements on this pool (TypeORM's own). */
  private readonly pool: Pool;

  // ---- reads -------------------------------------------------------------------------------------

  async getById(id: string, user: AuthUser | undefined): Promise<CourseResponseDto> {
    return this.unwrap(await this.cached(`id:${id}:${viewerKey(user)}`, () => this.lookup({ id }, user)));
  }

  async getBySlug(slug: string, user: AuthUser | undefined): Promise<CourseResponseDto> {
    return this.unwrap(
      await this.cached(`slug:${JSON.stringify(slug)}:${viewerKey(user)}`, () => this.lookup({ slug }, user)),
    );
  }

  /**
   * GET /courses: cached per viewer, every query parameter in the key (see catalogStatements for the
   * SQL). An unknown category matches no course: an empty page, as the original API's filter gives.
   */
  list(query: ListCoursesQueryDto, user: AuthUser | undefined): Promise<Page<CourseResponseDto>> {
    const params = [
      query.page,
      query.page_size,
      query.category ?? null,
      query.difficulty_level ?? null,
      query.search ?? null,
      query.mine ?? false,
    ];
    return this.cached(`list:${viewerKey(user)}:${JSON.stringify(params)}`, async () => {
      let categoryId: string | undefined;
      if (query.category !== undefined) {
        categoryId = await this.findCategoryId(query.category);
        if (categoryId === undefined) return paginate<CourseResponseDto>([], 0, query);
      }
      const sql = catalogStatements(
        { categoryId, difficultyLevel: query.difficulty_level, search: query.search, mine: query.mine },
        user,
        query,
      );
      const [rows, count] = await Promise.all([
        queryPrepared<CourseRow>(this.pool, sql.page.sql, sql.page.params),
        queryPrepared<{ total: number }>(this.pool, sql.count.sql, sql.count.params),
      ]);
      return paginate(rows.map(toCourseResponse), count[0]?.total ?? 0, query);
    });
  }

  // ---- writes ------------------------------------------------------------------------------------

  /** POST /courses: unpublished, owned by the caller. */
  async create(body: CreateCourseDto, user: AuthUser): Promise<CourseResponseDto> {
    const categoryId = body.category != null ? await this.categoryIdBySlug(body.category) : null;
    const values: QueryDeepPartialEntity<Course> = {
      title: body.title,
      description: body.description ?? null,
      longDescription: body.long_description ?? null,
      instructorId: user.id,
      categoryId,
      difficultyLevel: body.difficulty_level ?? null,
      isPublished: false,
      thumbnailUrl: body.thumbnail_url ?? null,
      estimatedDurationMinutes: body.estimated_duration_minutes ?? null,
      price: (body.price ?? 0).toFixed(2),
      currency: body.currency ?? 'USD',
      isFree: body.is_free ?? true,
      previewVideoUrl: body.preview_video_url ?? null,
      requirements: body.requirements ?? [],
      learningObjectives: body.learning_objectives ?? [],
      status: body.status ?? null,
      metadata: (body.metadata ?? {}) as QueryDeepPartialEntity<Record<string, unknown>>,
    };
    const prerequisites = body.prerequisite_course_ids ?? [];
    const base = body.slug ?? baseSlug(body.title, SLUG_MAX, 'course');

    for (let attempt = 1; ; attempt += 1) {
      try {
        const id = await this.dataSource.transaction(async (m) => {
          const slug = body.slug ?? (await this.freeSlug(m, base));
          const result = await m.getRepository(Course).insert({ ...values, slug });
          const courseId = (result.identifiers[0] as { id: string }).id;
          if (prerequisites.length) await this.replacePrerequisites(m, courseId, prerequisites, user, false);
          return courseId;
        });
        await this.invalidate();
        return this.responseById(id);
      } catch (err) {
        if (isUniqueViolation(err) && (pgError(err)?.detail ?? '').includes('(slug)')) {
          if (body.slug !== undefined) throw new ProblemException(409, 'slug_taken', 'Course slug already exists');
          if (attempt < DERIVED_SLUG_ATTEMPTS) continue; // a concurrent create took the derived slug
        }
        throw this.mapForeignKey(err, body.category ?? '', prerequisites);
      }
    }
  }

  /** PATCH /courses/{id}: left out = unchanged, null clears; prerequisite_course_ids replaces the set. */
  async update(id: string, body: UpdateCourseDto, user: AuthUser): Promise<CourseResponseDto> {
    const categoryId =
      body.category === undefined
        ? undefined
        : body.category === null
          ? null
          : await this.categoryIdBySlug(body.category);
    const changes: QueryDeepPartialEntity<Course> = { updatedAt: () => 'now()' };
    const set = <K extends keyof Course>(key: K, value: Course[K] | undefined): void => {
      if (value !== undefined) (changes as Record<string, unknown>)[key] = value;
    };
    set('title', body.title);
    set('description', body.description);
    set('longDescription', body.long_description);
    set('categoryId', categoryId);
    set('difficultyLevel', body.difficulty_level);
    set('thumbnailUrl', body.thumbnail_url);
    set('estimatedDurationMinutes', body.estimated_duration_minutes);
    set('price', body.price === undefined ? undefined : body.price.toFixed(2));
    set('currency', body.currency);
    set('isFree', body.is_free);
    set('previewVideoUrl', body.preview_video_url);
    set('requirements', body.requirements);
    set('learningObjectives', body.learning_objectives);
    set('status', body.status);
    set('metadata', body.metadata);

    try {
      await this.dataSource.transaction(async (m) => {
        await this.lockForManage(m, id, user);
        await m.getRepository(Course).update({ id }, changes);
        if (body.prerequisite_course_ids !== undefined) {
          await this.replacePrerequisites(m, id, body.prerequisite_course_ids, user, true);
        }
      });
    } catch (err) {
      throw this.mapForeignKey(err, body.category ?? '', body.prerequisite_course_ids ?? []);
    }
    await this.invalidate();
    return this.responseById(id);
  }

  /** DELETE /courses/{id}: cascades (lessons, enrollments, progress, prerequisites, ...). */
  async remove(id: string, user: AuthUser): Promise<void> {
    await this.dataSource.transaction(async (m) => {
      await this.lockForManage(m, id, user);
      await m.query('DELETE FROM courses WHERE id = $1', [id]);
    });
    await this.invalidate();
  }

  /**
   * POST /courses/{id}/publish: needs at least one lesson (422 `no_lessons`). Records
   * `course.published` in the same transaction. Re-publishing a published course is allowed and
   * emits the event again (published_at is kept).
   */
  async publish(id: string, user: AuthUser): Promise<CourseResponseDto> {
    await this.dataSource.transaction(async (m) => {
      const course = await this.lockForManage(m, id, user);
      const [{ n }] = (await m.query('SELECT count(*)::int AS n FROM lessons WHERE course_id = $1', [id])) as Array<{
        n: number;
      }>;
      if (n < 1) throw new ProblemException(422, 'no_lessons', 'A course needs at least one lesson to be published');
      const [row] = (await m.query(
        `UPDATE courses SET is_published = true, published_at = COALESCE(published_at, now()), updated_at = now()
          WHERE id = $1 RETURNING published_at`,
        [id],
      )) as [Array<{ published_at: Date }>, number];
      const publishedAt = row[0]!.published_at;
      await this.outbox.record(m, 'course.published', {
        course_id: id,
        instructor_id: course.instructorId,
        published_at: new Date(publishedAt).toISOString(),
      });
    });
    await this.invalidate();
    return this.responseById(id);
  }

  /** POST /courses/{id}/unpublish (idempotent). */
  async unpublish(id: string, user: AuthUser): Promise<CourseResponseDto> {
    await this.dataSource.transaction(async (m) => {
      await this.lockForManage(m, id, user);
      await m.query(
        'UPDATE courses SET is_published = false, published_at = NULL, updated_at = now() WHERE id = $1 AND is_published',
        [id],
      );
    });
    await this.invalidate();
    return this.responseById(id);
  }

  // ---- helpers -----------------------------------------------------------------------------------

  private async cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (!this.cache) return load();
    return this.cache.getOrLoad(CACHE_NS.courses, key, this.config.COURSE_CACHE_TTL_SECONDS, load);
  }

  /** Every course write: course and lesson caches, and category counts. */
  private async invalidate(): Promise<void> {
    await this.cache?.invalidate(CACHE_NS.courses, CACHE_NS.lessons, CACHE_NS.categories, CACHE_NS.quizzes);
  }

  private unwrap(result: Lookup): CourseResponseDto {
    if ('course' in result) return result.course;
    throw result.error === 'not_found' ? courseNotFound() : notAuthorizedToView();
  }

  /** The course by id or slug (one statement: columns, category slug and prerequisite ids). */
  private async courseRow(where: { id: string } | { slug: string }): Promise<CourseRow | undefined> {
    const rows =
      'id' in where
        ? await queryPrepared<CourseRow>(this.pool, COURSE_BY_ID_SQL, [where.id])
        : await queryPrepared<CourseRow>(this.pool, COURSE_BY_SLUG_SQL, [where.slug]);
    return rows[0];
  }

  private async lookup(where: { id: string } | { slug: string }, user: AuthUser | undefined): Promise<Lookup> {
    const row = await this.courseRow(where);
    if (!row) return { error: 'not_found' };
    if (!canViewCourse(user, { instructorId: row.instructor_id, isPublished: row.is_published })) {
      return { error: 'forbidden' };
    }
    return { course: toCourseResponse(row) };
  }

  private async responseById(id: string): Promise<CourseResponseDto> {
    const row = await this.courseRow({ id });
    if (!row) throw courseNotFound();
    return toCourseResponse(row);
  }

  private async findCategoryId(slug: string): Promise<string | undefined> {
    const { rows } = await runSql<{ id: string }>(
      this.dataSource.manager,
      'SELECT id FROM categories WHERE slug = $1',
      [slug],
    );
    return rows[0]?.id;
  }

  /** The category's id; 422 `unknown_category` when there is none (course writes). */
  private async categoryIdBySlug(slug: string): Promise<string> {
    const id = await this.findCategoryId(slug);
    if (id === undefined) throw unknownCategory(slug);
    return id;
  }

  /** The course, locked for this transaction: 404 when missing, 403 when `user` is not its manager. */
  private async lockForManage(m: EntityManager, id: string, user: AuthUser): Promise<Course> {
    const course = await m
      .getRepository(Course)
      .createQueryBuilder('c')
      .setLock('pessimistic_write')
      .where('c.id = :id', { id })
      .getOne();
    if (!course) throw courseNotFound();
    if (!canManageCourse(user, course)) throw notAuthorizedToManage();
    return course;
  }

  /** `base`, or `base-2`, `base-3`, ... (the first not taken). */
  private async freeSlug(m: EntityManager, base: string): Promise<string> {
    const rows: Array<{ slug: string }> = await m.query(
      "SELECT slug FROM courses WHERE slug = $1 OR slug LIKE $2 ESCAPE '\\'",
      [base, `${containsPattern(base).slice(1, -1)}-%`],
    );
    return firstFreeSlug(
      base,
      rows.map((r) => r.slug),
    );
  }

  /**
   * Replaces the prerequisites of `courseId`: every id must exist (and, for an instructor, be
   * published or their own: others count as unknown), not be the course itself, and not close a
   * cycle (a recursive walk of the graph under an advisory lock, so concurrent edits cannot race).
   */
  private async replacePrerequisites(
    m: EntityManager,
    courseId: string,
    ids: readonly string[],
    user: AuthUser,
    existing: boolean,
  ): Promise<void> {
    if (ids.includes(courseId)) {
      throw new ProblemException(422, 'prerequisite_self', 'A course cannot be its own prerequisite', {
        errors: [
          {
            field: 'prerequisite_course_ids',
            message: 'A course cannot be its own prerequisite',
            code: 'prerequisite_self',
          },
        ],
      });
    }
    if (ids.length) {
      const rows: Array<{ id: string; instructor_id: string; is_published: boolean }> = await m.query(
        'SELECT id, instructor_id, is_published FROM courses WHERE id = ANY($1::uuid[])',
        [ids],
      );
      const allowed = new Set(
        rows.filter((r) => user.role === 'admin' || r.is_published || r.instructor_id === user.id).map((r) => r.id),
      );
      const unknown = ids.filter((id) => !allowed.has(id));
      if (unknown.length) throw unknownPrerequisites(unknown);
    }
    if (existing) {
      await m.query('SELECT pg_advisory_xact_lock($1)', [PREREQUISITE_GRAPH_LOCK_KEY]);
      if (ids.length) {
        const cycle: unknown[] = await m.query(
          `WITH RECURSIVE reach(id) AS (
              SELECT unnest($1::uuid[])
              UNION
              SELECT p.prerequisite_course_id FROM course_prerequisites p JOIN reach r ON p.course_id = r.id
           )
           SELECT 1 FROM reach WHERE id = $2 LIMIT 1`,
          [ids, courseId],
        );
        if (cycle.length) {
          throw new ProblemException(422, 'prerequisite_cycle', 'These prerequisites would create a cycle', {
            errors: [
              {
                field: 'prerequisite_course_ids',
                message: 'These prerequisites would create a cycle',
                code: 'prerequisite_cycle',
              },
            ],
          });
        }
      }
      await m.query('DELETE FROM course_prerequisites WHERE course_id = $1', [courseId]);
    }
    if (ids.length) {
      await m.query(
        `INSERT INTO course_prerequisites (course_id, prerequisite_course_id)
         SELECT $1, unnest($2::uuid[])`,
        [courseId, ids],
      );
    }
  }

  /** A foreign key that vanished under a concurrent delete → the same 422 as an unknown reference. */
  private mapForeignKey(err: unknown, categorySlug: string, prerequisites: string[]): unknown {
    const e = pgError(err);
    if (e?.code !== '23503') return err;
    return (e.detail ?? '').includes('(category_id)')
      ? unknownCategory(categorySlug)
      : unknownPrerequisites(prerequisites);
  }
}
