import { offset, type AuthUser, type PageQuery } from '#core';
import type { DifficultyLevel } from './course.entity.js';
import type { CourseResponseDto } from './dto/course.dto.js';
import { containsPattern } from './slug.js';

// The catalog reads as raw SQL (no query building, no entity hydration): one statement per course
// lookup, one per list page plus its count. test/bench/floor-server.mjs runs the same statements
// (keep them in step).

/**
 * The columns of the wire shape, in its order: `c` is courses, `u` the instructor, `cat` the
 * (left-joined) category; the prerequisite ids come sorted from a correlated subquery on
 * course_prerequisites' primary key.
 */
const COURSE_COLUMNS =
  'c.id, c.title, c.slug, c.description, c.instructor_id, cat.slug AS category_slug, c.difficulty_level, ' +
  'c.is_published, c.published_at, c.thumbnail_url, c.estimated_duration_minutes, c.created_at, c.updated_at, ' +
  'c.price, c.currency, c.is_free, c.long_description, c.preview_video_url, c.requirements, c.learning_objectives, ' +
  'c.total_reviews, c.total_quizzes, c.enrollment_count, c.average_rating, c.status, ' +
  'u.full_name AS instructor_name, c.total_lessons, c.total_duration_minutes, ' +
  'ARRAY(SELECT p.prerequisite_course_id FROM course_prerequisites p WHERE p.course_id = c.id ' +
  'ORDER BY p.prerequisite_course_id) AS prerequisite_course_ids';

/** What COURSE_COLUMNS needs besides `courses c`: the instructor (always there) and the category. */
const COURSE_JOINS = 'JOIN users u ON u.id = c.instructor_id LEFT JOIN categories cat ON cat.id = c.category_id';

/** One course by id ($1), as a CourseRow. */
export const COURSE_BY_ID_SQL = `SELECT ${COURSE_COLUMNS} FROM courses c ${COURSE_JOINS} WHERE c.id = $1`;

/** One course by slug ($1), as a CourseRow. */
export const COURSE_BY_SLUG_SQL = `SELECT ${COURSE_COLUMNS} FROM courses c ${COURSE_JOINS} WHERE c.slug = $1`;

/**
 * What COURSE_COLUMNS returns (pg types: numeric and bigint as string, timestamptz as Date, jsonb
 * parsed, uuid[] as string[]).
 */
export interface CourseRow {
  id: string;
  title: string;
  slug: string;
  description: string | null;
  instructor_id: string;
  category_slug: string | null;
  difficulty_level: DifficultyLevel | null;
  is_published: boolean;
  published_at: Date | null;
  thumbnail_url: string | null;
  estimated_duration_minutes: number | null;
  created_at: Date;
  updated_at: Date;
  price: string;
  currency: string;
  is_free: boolean;
  long_description: string | null;
  preview_video_url: string | null;
  requirements: string[] | null;
  learning_objectives: string[] | null;
  total_reviews: number;
  total_quizzes: number;
  enrollment_count: number;
  average_rating: string;
  status: string | null;
  instructor_name: string;
  total_lessons: number;
  total_duration_minutes: string;
  prerequisite_course_ids: string[];
}

/** Minutes as hours with at most 2 decimals (90 → 1.5, 100 → 1.67). */
export function minutesToHours(minutes: string | number): number {
  return Math.round((Number(minutes) / 60) * 100) / 100;
}

/** The wire shape of a course (`category` is the category slug; metadata is never returned). */
export function toCourseResponse(row: CourseRow): CourseResponseDto {
  return {
    id: row.id,
    title: row.title,
    slug: row.slug,
    description: row.description,
    instructor_id: row.instructor_id,
    category: row.category_slug,
    difficulty_level: row.difficulty_level,
    is_published: row.is_published,
    published_at: row.published_at ? new Date(row.published_at).toISOString() : null,
    thumbnail_url: row.thumbnail_url,
    estimated_duration_minutes: row.estimated_duration_minutes,
    created_at: new Date(row.created_at).toISOString(),
    updated_at: new Date(row.updated_at).toISOString(),
    price: Number(row.price),
    currency: row.currency,
    is_free: row.is_free,
    long_description: row.long_description,
    preview_video_url: row.preview_video_url,
    requirements: row.requirements ?? [],
    learning_objectives: row.learning_objectives ?? [],
    total_reviews: row.total_reviews,
    total_quizzes: row.total_quizzes,
    enrollment_count: row.enrollment_count,
    average_rating: Number(row.average_rating),
    status: row.status,
    prerequisite_course_ids: row.prerequisite_course_ids,
    instructor_name: row.instructor_name,
    rating: Number(row.average_rating),
    review_count: row.total_reviews,
    total_lessons: row.total_lessons,
    duration_hours: minutesToHours(row.total_duration_minutes),
  };
}

export interface CourseListFilters {
  /** A category id (the caller resolves the slug). */
  categoryId?: string;
  difficultyLevel?: DifficultyLevel;
  search?: string;
  mine?: boolean;
}

export interface SqlStatement {
  sql: string;
  params: unknown[];
}

/**
 * The catalog statements for one page (filters, visibility, newest first):
 * - `count`: `count(*)` over courses with the same conditions (no join: the category never filters);
 * - `page`: the page's ids first (`ORDER BY created_at DESC, id DESC LIMIT/OFFSET`, for the public
 *   catalog an index-only scan of idx_courses_published_created (is_published, created_at, id)), then
 *   only those rows joined back with the instructor's name, the category slug and the prerequisite
 *   ids, as CourseRows (one statement).
 *
 * Anonymous callers and students see published courses (`mine` ignored); instructors published ones,
 * or with `mine` their own; admins everything, or with `mine` their own. `search` is a
 * case-insensitive literal substring of the title or the description (the trigram indexes).
 */
export function catalogStatements(
  filters: CourseListFilters,
  user: AuthUser | undefined,
  page: PageQuery,
): { count: SqlStatement; page: SqlStatement } {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const param = (value: unknown): string => `$${params.push(value)}`;
  if (filters.mine && user && user.role !== 'student') {
    conditions.push(`c.instructor_id = ${param(user.id)}`);
  } else if (user?.role !== 'admin') {
    conditions.push('c.is_published');
  }
  if (filters.categoryId !== undefined) conditions.push(`c.category_id = ${param(filters.categoryId)}`);
  if (filters.difficultyLevel !== undefined) conditions.push(`c.difficulty_level = ${param(filters.difficultyLevel)}`);
  if (filters.search) {
    const pattern = param(containsPattern(filters.search));
    conditions.push(`(c.title ILIKE ${pattern} OR c.description ILIKE ${pattern})`);
  }
  const where = conditions.length ? ` WHERE ${conditions.join(' AND ')}` : '';
  const filterParams = [...params];
  const limit = param(page.page_size);
  const skip = param(offset(page));
  return {
    count: { sql: `SELECT count(*)::int AS total FROM courses c${where}`, params: filterParams },
    page: {
      sql:
        `SELECT ${COURSE_COLUMNS} FROM (SELECT c.id FROM courses c${where} ` +
        `ORDER BY c.created_at DESC, c.id DESC LIMIT ${limit} OFFSET ${skip}) page ` +
        `JOIN courses c ON c.id = page.id ${COURSE_JOINS} ` +
        'ORDER BY c.created_at DESC, c.id DESC',
      params,
    },
  };
}
