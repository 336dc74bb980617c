import type { AuthUser } from '#core';
import {
  catalogStatements,
  COURSE_BY_ID_SQL,
  COURSE_BY_SLUG_SQL,
  minutesToHours,
  toCourseResponse,
  type CourseRow,
} from './catalog-sql.js';

const row: CourseRow = {
  id: 'c1',
  title: 'T',
  slug: 't',
  description: null,
  instructor_id: 'u1',
  category_slug: 'programming',
  difficulty_level: 'beginner',
  is_published: true,
  published_at: new Date('2026-01-02T03:04:05Z'),
  thumbnail_url: null,
  estimated_duration_minutes: 5,
  created_at: new Date('2026-01-01T00:00:00Z'),
  updated_at: new Date('2026-01-01T00:00:00Z'),
  price: '70.00',
  currency: 'USD',
  is_free: false,
  long_description: null,
  preview_video_url: null,
  requirements: ['r'],
  learning_objectives: null,
  total_reviews: 2,
  total_quizzes: 1,
  enrollment_count: 3,
  average_rating: '4.50',
  status: null,
  instructor_name: 'Ada Lovelace',
  total_lessons: 4,
  total_duration_minutes: '100',
  prerequisite_course_ids: ['p1'],
};

const user = (role: AuthUser['role'], id = 'u1'): AuthUser => ({ id, role }) as AuthUser;

describe('toCourseResponse', () => {
  it('maps a row to the wire shape: numbers for price and rating, ISO timestamps, category slug', () => {
    const dto = toCourseResponse(row);
    expect(dto).toMatchObject({
      price: 70,
      average_rating: 4.5,
      category: 'programming',
      published_at: '2026-01-02T03:04:05.000Z',
      created_at: '2026-01-01T00:00:00.000Z',
      requirements: ['r'],
      learning_objectives: [],
      prerequisite_course_ids: ['p1'],
    });
    expect(toCourseResponse({ ...row, published_at: null }).published_at).toBeNull();
  });

  it('fills the fields the original left null: instructor name, rating, review count, lessons, hours', () => {
    expect(toCourseResponse(row)).toMatchObject({
      instructor_name: 'Ada Lovelace',
      rating: 4.5,
      review_count: 2,
      total_lessons: 4,
      duration_hours: 1.67,
    });
    expect(toCourseResponse({ ...row, total_lessons: 0, total_duration_minutes: '0' })).toMatchObject({
      total_lessons: 0,
      duration_hours: 0,
    });
  });

  it('minutesToHours: hours with at most 2 decimals', () => {
    expect([0, 30, 90, 100, 61, '6000000000'].map(minutesToHours)).toEqual([0, 0.5, 1.5, 1.67, 1.02, 100_000_000]);
  });

  it('keeps the field order of the wire format (and never returns metadata)', () => {
    expect(Object.keys(toCourseResponse(row))).toEqual([
      'id',
      'title',
      'slug',
      'description',
      'instructor_id',
      'category',
      'difficulty_level',
      'is_published',
      'published_at',
      'thumbnail_url',
      'estimated_duration_minutes',
      'created_at',
      'updated_at',
      'price',
      'currency',
      'is_free',
      'long_description',
      'preview_video_url',
      'requirements',
      'learning_objectives',
      'total_reviews',
      'total_quizzes',
      'enrollment_count',
      'average_rating',
      'status',
      'prerequisite_course_ids',
      'instructor_name',
      'rating',
      'review_count',
      'total_lessons',
      'duration_hours',
    ]);
  });
});

describe('catalogStatements', () => {
  const page = { page: 3, page_size: 20 };

  it('public catalog: published only, count without join or DISTINCT, ids paged first', () => {
    const sql = catalogStatements({}, undefined, page);
    expect(sql.count).toEqual({ sql: 'SELECT count(*)::int AS total FROM courses c WHERE c.is_published', params: [] });
    expect(sql.page.sql).toContain(
      '(SELECT c.id FROM courses c WHERE c.is_published ORDER BY c.created_at DESC, c.id DESC LIMIT $1 OFFSET $2) page',
    );
    expect(sql.page.params).toEqual([20, 40]);
    // A student sees what an anonymous caller sees; `mine` is ignored for them.
    expect(catalogStatements({ mine: true }, user('student'), page)).toEqual(sql);
  });

  it('admins see everything; `mine` restricts instructors and admins to their own courses', () => {
    expect(catalogStatements({}, user('admin'), page).count.sql).toBe('SELECT count(*)::int AS total FROM courses c');
    expect(catalogStatements({ mine: true }, user('instructor', 'i1'), page).count).toEqual({
      sql: 'SELECT count(*)::int AS total FROM courses c WHERE c.instructor_id = $1',
      params: ['i1'],
    });
    expect(catalogStatements({}, user('instructor', 'i1'), page).count.sql).toContain('WHERE c.is_published');
  });

  it('filters by category id, difficulty and an escaped search pattern (one parameter for both columns)', () => {
    const sql = catalogStatements(
      { categoryId: 'k1', difficultyLevel: 'advanced', search: '50%_a\\b' },
      undefined,
      page,
    );
    expect(sql.count).toEqual({
      sql:
        'SELECT count(*)::int AS total FROM courses c WHERE c.is_published AND c.category_id = $1 ' +
        'AND c.difficulty_level = $2 AND (c.title ILIKE $3 OR c.description ILIKE $3)',
      params: ['k1', 'advanced', '%50\\%\\_a\\\\b%'],
    });
    expect(sql.page.params).toEqual(['k1', 'advanced', '%50\\%\\_a\\\\b%', 20, 40]);
    expect(sql.page.sql).toContain('LIMIT $4 OFFSET $5');
    expect(sql.page.sql).not.toMatch(/DISTINCT/);
  });

  it('every course statement joins the instructor for instructor_name (one statement, no extra query)', () => {
    for (const text of [catalogStatements({}, undefined, page).page.sql, COURSE_BY_ID_SQL, COURSE_BY_SLUG_SQL]) {
      expect(text).toContain('u.full_name AS instructor_name');
      expect(text).toContain('JOIN users u ON u.id = c.instructor_id');
      expect(text).toContain('c.total_lessons, c.total_duration_minutes');
      expect(text.split(';')).toHaveLength(1);
    }
  });
});
