import type { Role } from '#core';
import { catalogStatements } from '#courses';
import { type User } from '#users';
import { callApi, createTestApp, type JsonResponse, type TestApp, createActor } from '#testing';

interface Who {
  user: User;
  token: string;
}

interface CourseBody {
  [key: string]: unknown;
  id: string;
  slug: string;
  title: string;
  is_published: boolean;
  prerequisite_course_ids: string[];
}

interface PageBody {
  items: CourseBody[];
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
}

const NO_ID = '00000000-0000-4000-8000-000000000000';

describe('/courses', () => {
  let t: TestApp;
  let seq = 0;
  let admin: Who;
  let instructor: Who;
  let otherInstructor: Who;
  let student: Who;

  const makeUser = (role: Role): Promise<Who> => createActor(t, role, 'course');

  const api = (method: string, path: string, who?: Who, body?: unknown): Promise<JsonResponse> =>
    callApi(t, method, path, body, who?.token);

  async function createCourse(who: Who, body: Record<string, unknown> = {}): Promise<CourseBody> {
    seq += 1;
    const res = await api('POST', '/courses', who, { title: `Course ${seq}`, ...body });
    expect(res.status).toBe(201);
    return res.body as CourseBody;
  }

  async function addLesson(courseId: string): Promise<void> {
    await t.db.query(
      `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index)
       VALUES ($1, 'Lesson', 'lesson', 'text', (SELECT coalesce(max(order_index), 0) + 1 FROM lessons WHERE course_id = $1))`,
      [courseId],
    );
  }

  async function publishedCourse(who: Who, body: Record<string, unknown> = {}): Promise<CourseBody> {
    const course = await createCourse(who, body);
    await addLesson(course.id);
    const res = await api('POST', `/courses/${course.id}/publish`, who);
    expect(res.status).toBe(200);
    return res.body as CourseBody;
  }

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const [{ n }] = await t.db.query<{ n: string }>(sql, params);
    return Number(n);
  }

  const ids = (res: JsonResponse): string[] => (res.body as unknown as PageBody).items.map((c) => c.id);

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    admin = await makeUser('admin');
    instructor = await makeUser('instructor');
    otherInstructor = await makeUser('instructor');
    student = await makeUser('student');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('route × role matrix', () => {
    it('POST /courses: anonymous 401, student 403, instructor and admin 201 (owned by the caller, unpublished)', async () => {
      const title = 'Matrix create course';
      expect((await api('POST', '/courses', undefined, { title })).status).toBe(401);
      const asStudent = await api('POST', '/courses', student, { title });
      expect(asStudent.status).toBe(403);
      expect(asStudent.body.code).toBe('forbidden');
      expect(await count('SELECT count(*) AS n FROM courses WHERE title = $1', [title])).toBe(0);
      for (const who of [instructor, admin]) {
        const res = await api('POST', '/courses', who, { title });
        expect(res.status).toBe(201);
        expect(res.body).toMatchObject({ instructor_id: who.user.id, is_published: false, title });
      }
      expect(await count('SELECT count(*) AS n FROM courses WHERE title = $1', [title])).toBe(2);
    });

    it('GET /courses is public for every role', async () => {
      for (const who of [undefined, student, instructor, admin]) {
        expect((await api('GET', '/courses', who)).status).toBe(200);
      }
    });

    it('GET a draft by id and slug: 403 for anonymous, students and other instructors; 200 for owner and admin', async () => {
      const draft = await createCourse(instructor);
      for (const path of [`/courses/${draft.id}`, `/courses/slug/${draft.slug}`]) {
        for (const who of [undefined, student, otherInstructor]) {
          const res = await api('GET', path, who);
          expect(res.status).toBe(403);
          expect(res.body.code).toBe('forbidden');
        }
        for (const who of [instructor, admin]) {
          const res = await api('GET', path, who);
          expect(res.status).toBe(200);
          expect(res.body.id).toBe(draft.id);
        }
      }
    });

    it('GET a published course by id and slug: 200 for everyone; unknown → 404; bad id → 422', async () => {
      const course = await publishedCourse(instructor);
      for (const who of [undefined, student, otherInstructor, instructor, admin]) {
        expect((await api('GET', `/courses/${course.id}`, who)).status).toBe(200);
        expect((await api('GET', `/courses/slug/${course.slug}`, who)).status).toBe(200);
      }
      const missing = await api('GET', `/courses/${NO_ID}`);
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('not_found');
      expect((await api('GET', '/courses/slug/no-such-course')).status).toBe(404);
      const bad = await api('GET', '/courses/not-a-uuid');
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('validation_failed');
    });

    it('writes on a course: anonymous 401, student 403, another instructor 403 (nothing changes)', async () => {
      const course = await createCourse(instructor, { description: 'untouched' });
      await addLesson(course.id);
      const routes: Array<[string, string, unknown]> = [
        ['PATCH', `/courses/${course.id}`, { description: 'changed' }],
        ['DELETE', `/courses/${course.id}`, undefined],
        ['POST', `/courses/${course.id}/publish`, undefined],
        ['POST', `/courses/${course.id}/unpublish`, undefined],
      ];
      for (const [method, path, body] of routes) {
        expect((await api(method, path, undefined, body)).status).toBe(401);
        for (const who of [student, otherInstructor]) {
          const res = await api(method, path, who, body);
          expect(res.status).toBe(403);
          expect(res.body.code).toBe('forbidden');
        }
      }
      const [row] = await t.db.query<{ description: string; is_published: boolean }>(
        'SELECT description, is_published FROM courses WHERE id = $1',
        [course.id],
      );
      expect(row).toEqual({ description: 'untouched', is_published: false });
      expect(await count("SELECT count(*) AS n FROM outbox_events WHERE payload->>'course_id' = $1", [course.id])).toBe(
        0,
      );
    });

    it.each(['owner', 'admin'])('writes on a course: the %s may patch, publish, unpublish and delete', async (as) => {
      const who = () => (as === 'owner' ? instructor : admin);
      const course = await createCourse(instructor);
      await addLesson(course.id);
      expect((await api('PATCH', `/courses/${course.id}`, who(), { description: 'x' })).status).toBe(200);
      expect((await api('POST', `/courses/${course.id}/publish`, who())).status).toBe(200);
      expect((await api('POST', `/courses/${course.id}/unpublish`, who())).status).toBe(200);
      expect((await api('DELETE', `/courses/${course.id}`, who())).status).toBe(204);
      expect(await count('SELECT count(*) AS n FROM courses WHERE id = $1', [course.id])).toBe(0);
    });

    it('writes on an unknown course are 404, on a non-UUID 422', async () => {
      for (const [method, path, body] of [
        ['PATCH', `/courses/${NO_ID}`, { description: 'x' }],
        ['DELETE', `/courses/${NO_ID}`, undefined],
        ['POST', `/courses/${NO_ID}/publish`, undefined],
        ['POST', `/courses/${NO_ID}/unpublish`, undefined],
      ] as Array<[string, string, unknown]>) {
        expect((await api(method, path, admin, body)).status).toBe(404);
        expect((await api(method, path.replace(NO_ID, 'nope'), admin, body)).status).toBe(422);
      }
    });
  });

  describe('list visibility', () => {
    let draft: CourseBody;
    let published: CourseBody;
    let otherDraft: CourseBody;

    beforeAll(async () => {
      draft = await createCourse(instructor, { title: 'Visibility draft' });
      published = await publishedCourse(instructor, { title: 'Visibility published' });
      otherDraft = await createCourse(otherInstructor, { title: 'Visibility other draft' });
    });

    const list = async (who: Who | undefined, query = ''): Promise<string[]> => {
      const res = await api('GET', `/courses?page_size=100&search=visibility${query}`, who);
      expect(res.status).toBe(200);
      return ids(res);
    };

    it('anonymous callers and students see published courses only, mine ignored', async () => {
      for (const who of [undefined, student]) {
        for (const q of ['', '&mine=true']) expect(await list(who, q)).toEqual([published.id]);
      }
    });

    it('instructors see published courses, or with mine=true their own in any state', async () => {
      expect(await list(instructor)).toEqual([published.id]);
      expect(await list(otherInstructor)).toEqual([published.id]);
      expect(await list(instructor, '&mine=true')).toEqual([published.id, draft.id]);
      expect(await list(otherInstructor, '&mine=true')).toEqual([otherDraft.id]);
      expect(await list(instructor, '&mine=false')).toEqual([published.id]);
    });

    it('admins see every course, or with mine=true their own', async () => {
      expect(await list(admin)).toEqual([otherDraft.id, published.id, draft.id]);
      expect(await list(admin, '&mine=true')).toEqual([]);
    });

    it("a cached list is per viewer: an instructor's draft never reaches a student", async () => {
      const fresh = await createCourse(instructor, { title: 'Visibility cache draft' });
      expect(await list(instructor, '&mine=true')).toContain(fresh.id);
      expect(await list(admin)).toContain(fresh.id);
      expect(await list(student, '&mine=true')).not.toContain(fresh.id);
      expect(await list(student)).not.toContain(fresh.id);
      expect(await list(undefined, '&mine=true')).not.toContain(fresh.id);
      expect(await list(otherInstructor, '&mine=true')).not.toContain(fresh.id);
      // A cached by-id 200 for the owner is not served to a student either.
      expect((await api('GET', `/courses/${fresh.id}`, instructor)).status).toBe(200);
      expect((await api('GET', `/courses/${fresh.id}`, student)).status).toBe(403);
      expect((await api('GET', `/courses/slug/${fresh.slug}`, instructor)).status).toBe(200);
      expect((await api('GET', `/courses/slug/${fresh.slug}`)).status).toBe(403);
    });

    it('orders newest first (created_at desc, id desc)', async () => {
      const res = await api('GET', '/courses?page_size=100', admin);
      const items = (res.body as unknown as PageBody).items;
      const keys = items.map((c) => [String(c.created_at), c.id] as const);
      const sorted = [...keys].sort((a, b) => (a[0] === b[0] ? b[1].localeCompare(a[1]) : b[0].localeCompare(a[0])));
      expect(keys).toEqual(sorted);
    });
  });

  describe('search and filters', () => {
    it('search is a case-insensitive substring of the title or the description', async () => {
      const a = await publishedCourse(instructor, { title: 'Zebrafish Anatomy' });
      const b = await publishedCourse(instructor, { title: 'Plain title', description: 'all about ZEBRAFISH care' });
      await publishedCourse(instructor, { title: 'Unrelated', description: 'nothing here' });
      const res = await api('GET', '/courses?search=zebraFISH');
      expect(res.status).toBe(200);
      expect(ids(res).sort()).toEqual([a.id, b.id].sort());
    });

    it('search treats % and _ literally', async () => {
      const pct = await publishedCourse(instructor, { title: 'Quokka x%y discount' });
      await publishedCourse(instructor, { title: 'Quokka xaby discount' });
      const under = await publishedCourse(instructor, { title: 'Quokka snake_case' });
      await publishedCourse(instructor, { title: 'Quokka snakeXcase' });
      expect(ids(await api('GET', `/courses?search=${encodeURIComponent('x%y')}`))).toEqual([pct.id]);
      expect(ids(await api('GET', '/courses?search=snake_case'))).toEqual([under.id]);
      expect((await api('GET', '/courses?search=quokka')).body.total).toBe(4);
    });

    it('a cached list is keyed by search too', async () => {
      const first = await api('GET', '/courses?search=wombat-one');
      const second = await api('GET', '/courses?search=wombat-two');
      expect(first.body.total).toBe(0);
      expect(second.body.total).toBe(0);
      const c = await publishedCourse(instructor, { title: 'wombat-two basics' });
      expect(ids(await api('GET', '/courses?search=wombat-two'))).toEqual([c.id]);
      expect(ids(await api('GET', '/courses?search=wombat-one'))).toEqual([]);
    });

    it('filters by difficulty_level and category slug', async () => {
      const cat = await api('POST', '/categories', admin, { name: 'Filter Cat', slug: 'filter-cat' });
      expect(cat.status).toBe(201);
      const inCat = await publishedCourse(instructor, {
        title: 'Filterable one',
        category: 'filter-cat',
        difficulty_level: 'advanced',
      });
      const beginner = await publishedCourse(instructor, { title: 'Filterable two', difficulty_level: 'beginner' });
      expect(inCat.category).toBe('filter-cat');
      expect(ids(await api('GET', '/courses?category=filter-cat'))).toEqual([inCat.id]);
      expect(ids(await api('GET', '/courses?search=filterable&difficulty_level=beginner'))).toEqual([beginner.id]);
      expect(ids(await api('GET', '/courses?search=filterable&difficulty_level=advanced'))).toEqual([inCat.id]);
      // An unknown category matches nothing (the original's filter): an empty page, not 422.
      const unknown = await api('GET', '/courses?category=no-such-category');
      expect(unknown.status).toBe(200);
      expect(unknown.body).toMatchObject({ items: [], total: 0 });
      expect((await api('GET', '/courses?difficulty_level=expert')).status).toBe(422);
      // Blank filters are ignored.
      expect(ids(await api('GET', '/courses?search=filterable&difficulty_level=&category='))).toEqual([
        beginner.id,
        inCat.id,
      ]);
    });

    it.each(['page=0', 'page=-1', 'page=abc', 'page_size=0', 'page_size=101', 'page_size=abc', 'mine=maybe'])(
      'rejects %s with 422',
      async (q) => {
        const res = await api('GET', `/courses?${q}`);
        expect(res.status).toBe(422);
        expect(res.body.code).toBe('validation_failed');
      },
    );

    it('paginates', async () => {
      for (let i = 0; i < 3; i += 1) await publishedCourse(instructor, { title: `Paginated platypus ${i}` });
      const res = await api('GET', '/courses?search=platypus&page=2&page_size=2');
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 3, page: 2, page_size: 2, total_pages: 2 });
      expect((res.body as unknown as PageBody).items).toHaveLength(1);
      const beyond = await api('GET', '/courses?search=platypus&page=5&page_size=100');
      expect(beyond.body).toMatchObject({ items: [], total: 3, total_pages: 1 });
    });
  });

  describe('create', () => {
    it('returns the CourseResponse shape (price/average_rating numbers, metadata never returned)', async () => {
      const res = await api('POST', '/courses', instructor, {
        title: '  Shape Course  ',
        description: 'd',
        price: 49.99,
        currency: 'EUR',
        is_free: false,
        requirements: ['a', 'b'],
        learning_objectives: ['c'],
        estimated_duration_minutes: 90,
        thumbnail_url: 'https://example.com/t.png',
        metadata: { secret: 'never returned' },
        status: 'draft',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        title: 'Shape Course',
        slug: 'shape-course',
        price: 49.99,
        average_rating: 0,
        currency: 'EUR',
        is_free: false,
        requirements: ['a', 'b'],
        learning_objectives: ['c'],
        estimated_duration_minutes: 90,
        total_reviews: 0,
        enrollment_count: 0,
        category: null,
        difficulty_level: null,
        prerequisite_course_ids: [],
        instructor_name: instructor.user.fullName,
        rating: 0,
        review_count: 0,
        total_lessons: 0,
        duration_hours: 0,
        is_published: false,
        published_at: null,
      });
      expect(res.body).not.toHaveProperty('metadata');
      const [row] = await t.db.query<{ metadata: unknown; price: string }>(
        'SELECT metadata, price FROM courses WHERE id = $1',
        [res.body.id],
      );
      expect(row).toEqual({ metadata: { secret: 'never returned' }, price: '49.99' });
    });

    it.each<[string, Record<string, unknown>]>([
      ['is_published', { is_published: true }],
      ['instructor_id', { instructor_id: NO_ID }],
      ['average_rating', { average_rating: 5 }],
      ['total_reviews', { total_reviews: 3 }],
      ['enrollment_count', { enrollment_count: 3 }],
      ['an unknown field', { foo: 'bar' }],
      ['a short title', { title: 'ab' }],
      ['a long title', { title: 'x'.repeat(256) }],
      ['a long description', { description: 'x'.repeat(10_001) }],
      ['a bad difficulty', { difficulty_level: 'expert' }],
      ['a non-http thumbnail', { thumbnail_url: 'ftp://example.com/x.png' }],
      ['a long thumbnail', { thumbnail_url: `https://example.com/${'x'.repeat(2048)}` }],
      ['a negative price', { price: -1 }],
      ['a long currency', { currency: 'EURO' }],
      ['zero minutes', { estimated_duration_minutes: 0 }],
      ['too many requirements', { requirements: Array.from({ length: 51 }, () => 'r') }],
      ['a long requirement', { requirements: ['x'.repeat(501)] }],
      ['a long status', { status: 'x'.repeat(21) }],
      ['a non-object metadata', { metadata: [1, 2] }],
      ['a bad slug', { slug: 'Not A Slug' }],
      ['bad prerequisite ids', { prerequisite_course_ids: ['nope'] }],
      ['too many prerequisites', { prerequisite_course_ids: Array.from({ length: 21 }, () => NO_ID) }],
    ])('rejects %s with 422 and writes nothing', async (_label, extra) => {
      const title = `Rejected ${_label}`;
      const res = await api('POST', '/courses', instructor, { title, ...extra });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(
        await count('SELECT count(*) AS n FROM courses WHERE instructor_id = $1 AND title LIKE $2', [
          instructor.user.id,
          'Rejected%',
        ]),
      ).toBe(0);
    });

    it('an unknown category is 422 unknown_category and writes nothing', async () => {
      const res = await api('POST', '/courses', instructor, { title: 'Uncategorized thing', category: 'nope' });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('unknown_category');
      expect(await count("SELECT count(*) AS n FROM courses WHERE title = 'Uncategorized thing'")).toBe(0);
    });

    it('derives the slug from the title and appends -2, -3 when taken; an explicit taken slug is 409', async () => {
      const a = await createCourse(instructor, { title: 'Intro to Slugs!' });
      const b = await createCourse(instructor, { title: 'intro to   slugs' });
      const c = await createCourse(admin, { title: 'Intro-to-Slugs' });
      expect([a.slug, b.slug, c.slug]).toEqual(['intro-to-slugs', 'intro-to-slugs-2', 'intro-to-slugs-3']);
      const explicit = await createCourse(instructor, { title: 'Whatever', slug: 'hand-made-slug' });
      expect(explicit.slug).toBe('hand-made-slug');
      const taken = await api('POST', '/courses', instructor, { title: 'Another', slug: 'intro-to-slugs-2' });
      expect(taken.status).toBe(409);
      expect(taken.body.code).toBe('slug_taken');
      expect(await count("SELECT count(*) AS n FROM courses WHERE title = 'Another'")).toBe(0);
      const weird = await createCourse(instructor, { title: '日本語のコース' });
      expect(weird.slug).toMatch(/^course(-\d+)?$/);
    });

    it('derived slugs stay unique under concurrent creates', async () => {
      const results = await Promise.all(
        Array.from({ length: 5 }, () => api('POST', '/courses', instructor, { title: 'Racing Slug' })),
      );
      expect(results.map((r) => r.status)).toEqual([201, 201, 201, 201, 201]);
      expect(new Set(results.map((r) => r.body.slug)).size).toBe(5);
    });
  });

  describe('update', () => {
    it('explicit null clears nullable fields; null for required fields is 422', async () => {
      await api('POST', '/categories', admin, { name: 'Patch Cat', slug: 'patch-cat' });
      const course = await createCourse(instructor, {
        description: 'desc',
        category: 'patch-cat',
        difficulty_level: 'beginner',
        thumbnail_url: 'https://example.com/x.png',
        estimated_duration_minutes: 5,
        status: 'x',
      });
      expect(course.category).toBe('patch-cat');
      const res = await api('PATCH', `/courses/${course.id}`, instructor, {
        description: null,
        category: null,
        difficulty_level: null,
        thumbnail_url: null,
        estimated_duration_minutes: null,
        status: null,
        title: 'Renamed course',
        price: 10,
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({
        description: null,
        category: null,
        difficulty_level: null,
        thumbnail_url: null,
        estimated_duration_minutes: null,
        status: null,
        title: 'Renamed course',
        price: 10,
        slug: course.slug,
      });
      for (const body of [
        { title: null },
        { price: null },
        { requirements: null },
        { is_free: null },
        { is_published: true },
        { slug: 'new-slug' },
        { instructor_id: otherInstructor.user.id },
        { title: 'x'.repeat(256) },
        { category: 'no-such-category' },
      ]) {
        const bad = await api('PATCH', `/courses/${course.id}`, instructor, body);
        expect(bad.status).toBe(422);
      }
      const [row] = await t.db.query<{ title: string; is_published: boolean; instructor_id: string }>(
        'SELECT title, is_published, instructor_id FROM courses WHERE id = $1',
        [course.id],
      );
      expect(row).toEqual({ title: 'Renamed course', is_published: false, instructor_id: instructor.user.id });
    });
  });

  describe('publish and unpublish', () => {
    it('publishing needs a lesson; the course.published event is written in the same transaction', async () => {
      const course = await createCourse(instructor);
      const none = await api('POST', `/courses/${course.id}/publish`, instructor);
      expect(none.status).toBe(422);
      expect(none.body.code).toBe('no_lessons');
      const events =
        "SELECT count(*) AS n FROM outbox_events WHERE event_type = 'course.published' AND payload->>'course_id' = $1";
      expect(await count(events, [course.id])).toBe(0);
      expect(await count('SELECT count(*) AS n FROM courses WHERE id = $1 AND is_published', [course.id])).toBe(0);

      await addLesson(course.id);
      const res = await api('POST', `/courses/${course.id}/publish`, instructor);
      expect(res.status).toBe(200);
      expect(res.body.is_published).toBe(true);
      expect(typeof res.body.published_at).toBe('string');
      const rows = await t.db.query<{ payload: Record<string, string>; same_tx: boolean }>(
        `SELECT e.payload, e.created_at = c.published_at AS same_tx
           FROM outbox_events e JOIN courses c ON c.id::text = e.payload->>'course_id'
          WHERE e.event_type = 'course.published' AND c.id = $1`,
        [course.id],
      );
      expect(rows).toHaveLength(1);
      // now() is the transaction's start time: equal timestamps mean one transaction.
      expect(rows[0]!.same_tx).toBe(true);
      expect(rows[0]!.payload).toEqual({
        course_id: course.id,
        instructor_id: instructor.user.id,
        published_at: res.body.published_at,
      });

      const again = await api('POST', `/courses/${course.id}/publish`, admin);
      expect(again.status).toBe(200);
      expect(again.body.published_at).toBe(res.body.published_at);
      expect(await count(events, [course.id])).toBe(2);
    });

    it('unpublish hides the course again', async () => {
      const course = await publishedCourse(instructor);
      expect((await api('GET', `/courses/${course.id}`, student)).status).toBe(200);
      const res = await api('POST', `/courses/${course.id}/unpublish`, instructor);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ is_published: false, published_at: null });
      expect((await api('GET', `/courses/${course.id}`, student)).status).toBe(403);
      expect((await api('POST', `/courses/${course.id}/unpublish`, instructor)).status).toBe(200);
    });
  });

  describe('delete', () => {
    it('cascades to lessons and prerequisite links', async () => {
      const base = await publishedCourse(instructor);
      const course = await createCourse(instructor, { prerequisite_course_ids: [base.id] });
      const dependent = await createCourse(instructor, { prerequisite_course_ids: [course.id] });
      await addLesson(course.id);
      const res = await api('DELETE', `/courses/${course.id}`, instructor);
      expect(res.status).toBe(204);
      expect(await count('SELECT count(*) AS n FROM lessons WHERE course_id = $1', [course.id])).toBe(0);
      expect(
        await count(
          'SELECT count(*) AS n FROM course_prerequisites WHERE course_id = $1 OR prerequisite_course_id = $1',
          [course.id],
        ),
      ).toBe(0);
      expect((await api('GET', `/courses/${dependent.id}`, instructor)).body.prerequisite_course_ids).toEqual([]);
      expect((await api('GET', `/courses/${course.id}`, admin)).status).toBe(404);
    });
  });

  describe('prerequisites', () => {
    /** The stored prerequisite ids of a course, sorted. */
    const prerequisiteIds = async (courseId: string): Promise<string[]> =>
      (
        await t.db.query<{ id: string }>(
          'SELECT prerequisite_course_id AS id FROM course_prerequisites WHERE course_id = $1 ORDER BY prerequisite_course_id',
          [courseId],
        )
      ).map((r) => r.id);

    it('stores, returns and replaces the set', async () => {
      const a = await publishedCourse(instructor);
      const b = await publishedCourse(otherInstructor);
      const c = await createCourse(instructor, { prerequisite_course_ids: [a.id, b.id] });
      expect([...c.prerequisite_course_ids].sort()).toEqual([a.id, b.id].sort());
      expect(await prerequisiteIds(c.id)).toEqual([a.id, b.id].sort());
      const patched = await api('PATCH', `/courses/${c.id}`, instructor, { prerequisite_course_ids: [b.id] });
      expect(patched.body.prerequisite_course_ids).toEqual([b.id]);
      const cleared = await api('PATCH', `/courses/${c.id}`, instructor, { prerequisite_course_ids: [] });
      expect(cleared.body.prerequisite_course_ids).toEqual([]);
    });

    it('rejects self, unknown and cyclic prerequisites (422) and keeps the set', async () => {
      const a = await createCourse(instructor);
      const b = await createCourse(instructor, { prerequisite_course_ids: [a.id] });
      const c = await createCourse(instructor, { prerequisite_course_ids: [b.id] });

      const self = await api('PATCH', `/courses/${a.id}`, instructor, { prerequisite_course_ids: [a.id] });
      expect(self.status).toBe(422);
      expect(self.body.code).toBe('prerequisite_self');

      const unknown = await api('PATCH', `/courses/${a.id}`, instructor, { prerequisite_course_ids: [NO_ID] });
      expect(unknown.status).toBe(422);
      expect(unknown.body.code).toBe('unknown_prerequisite');
      const unknownCreate = await api('POST', '/courses', instructor, {
        title: 'Unknown prereq',
        prerequisite_course_ids: [NO_ID],
      });
      expect(unknownCreate.status).toBe(422);
      expect(await count("SELECT count(*) AS n FROM courses WHERE title = 'Unknown prereq'")).toBe(0);

      const direct = await api('PATCH', `/courses/${a.id}`, instructor, { prerequisite_course_ids: [b.id] });
      expect(direct.status).toBe(422);
      expect(direct.body.code).toBe('prerequisite_cycle');
      const transitive = await api('PATCH', `/courses/${a.id}`, instructor, { prerequisite_course_ids: [c.id] });
      expect(transitive.status).toBe(422);
      expect(transitive.body.code).toBe('prerequisite_cycle');
      expect(await prerequisiteIds(a.id)).toEqual([]);
    });

    it("an instructor may reference published courses or their own, not another instructor's draft", async () => {
      const foreignDraft = await createCourse(otherInstructor);
      const res = await api('POST', '/courses', instructor, {
        title: 'Sneaky prereq',
        prerequisite_course_ids: [foreignDraft.id],
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('unknown_prerequisite');
      const byAdmin = await createCourse(admin, { prerequisite_course_ids: [foreignDraft.id] });
      expect(byAdmin.prerequisite_course_ids).toEqual([foreignDraft.id]);
    });
  });

  describe('cache invalidation', () => {
    it('list, by id and by slug reflect a write right after a cached read', async () => {
      const course = await publishedCourse(instructor, { title: 'Cached capybara' });
      const listPath = '/courses?search=capybara';
      expect((await api('GET', listPath)).body.total).toBe(1);
      expect((await api('GET', `/courses/${course.id}`)).body.title).toBe('Cached capybara');
      expect((await api('GET', `/courses/slug/${course.slug}`)).body.title).toBe('Cached capybara');

      expect((await api('PATCH', `/courses/${course.id}`, instructor, { title: 'Renamed capybara' })).status).toBe(200);
      expect((await api('GET', listPath)).body.items).toEqual([expect.objectContaining({ title: 'Renamed capybara' })]);
      expect((await api('GET', `/courses/${course.id}`)).body.title).toBe('Renamed capybara');
      expect((await api('GET', `/courses/slug/${course.slug}`)).body.title).toBe('Renamed capybara');

      await api('POST', `/courses/${course.id}/unpublish`, instructor);
      expect((await api('GET', listPath)).body.total).toBe(0);
      expect((await api('GET', `/courses/${course.id}`)).status).toBe(403);
      expect((await api('GET', `/courses/slug/${course.slug}`)).status).toBe(403);

      await api('DELETE', `/courses/${course.id}`, instructor);
      expect((await api('GET', `/courses/${course.id}`, admin)).status).toBe(404);
      expect((await api('GET', `/courses/slug/${course.slug}`, admin)).status).toBe(404);
    });

    it('a new course shows up in a cached list', async () => {
      expect((await api('GET', '/courses?search=axolotl', instructor)).body.total).toBe(0);
      expect((await api('GET', '/courses?search=axolotl&mine=true', instructor)).body.total).toBe(0);
      await createCourse(instructor, { title: 'Axolotl care' });
      expect((await api('GET', '/courses?search=axolotl&mine=true', instructor)).body.total).toBe(1);
    });
  });

  describe('catalog query plan', () => {
    it('uses idx_courses_published_created for the published, newest-first page', async () => {
      await t.db.query(
        `INSERT INTO courses (title, slug, instructor_id, is_published, created_at)
         SELECT 'Seeded ' || g, 'seeded-' || g, $1, g % 10 <> 0, now() - g * interval '1 minute'
           FROM generate_series(1, 5000) AS g`,
        [otherInstructor.user.id],
      );
      await t.db.query('ANALYZE courses');
      // The statement GET /courses runs for an anonymous caller's first page (its ids come from the index).
      const { sql, params } = catalogStatements({}, undefined, { page: 1, page_size: 20 }).page;
      const plan = (await t.db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params))
        .map((r) => r['QUERY PLAN'])
        .join('\n');
      expect(plan).toContain('idx_courses_published_created');
      // (is_published, created_at, id) covers the page's ids and their order: no heap rows, no sort before LIMIT.
      expect(plan).toMatch(/Index Only Scan (Backward )?using idx_courses_published_created/);
      expect(plan).not.toMatch(/Incremental Sort/);
      expect(plan).not.toMatch(/Seq Scan on courses/);
      const page = await api('GET', '/courses?page_size=20');
      expect(page.body.total).toBeGreaterThanOrEqual(4500);
    });
  });
});
