import { randomUUID } from 'node:crypto';
import type { Role } from '#core';
import { LessonsHttpModule } from '#courses';
import { type User } from '#users';
import { callApi, createTestApp, type JsonResponse, type TestApp, createActor } from '#testing';

interface Actor {
  user: User;
  token: string;
}
type Who = 'anonymous' | 'student' | 'other' | 'owner' | 'admin';

describe('lessons', () => {
  let t: TestApp;
  let seq = 0;
  const actors = {} as Record<Exclude<Who, 'anonymous'>, Actor>;
  const token = (who: Who): string | undefined => (who === 'anonymous' ? undefined : actors[who].token);

  const makeUser = (role: Role): Promise<Actor> => createActor(t, role, 'lessons');

  async function makeCourse(published: boolean, instructorId = actors.owner.user.id): Promise<string> {
    seq += 1;
    const [row] = (await t.db.query(
      'INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ($1, $2, $3, $4) RETURNING id',
      [`Course ${seq}`, `lessons-course-${seq}-${randomUUID().slice(0, 8)}`, instructorId, published],
    )) as Array<{ id: string }>;
    return row!.id;
  }

  async function addLesson(
    courseId: string,
    fields: Record<string, unknown> = {},
  ): Promise<Record<string, unknown> & { id: string }> {
    const res = await callApi(
      t,
      'POST',
      `/courses/${courseId}/lessons`,
      { title: `Lesson ${++seq}`, lesson_type: 'text', ...fields },
      actors.admin.token,
    );
    expect(res.status).toBe(201);
    return res.body as Record<string, unknown> & { id: string };
  }

  async function lessonCount(courseId?: string): Promise<number> {
    const [row] = (await t.db.query(
      courseId
        ? 'SELECT count(*)::int AS n FROM lessons WHERE course_id = $1'
        : 'SELECT count(*)::int AS n FROM lessons',
      courseId ? [courseId] : [],
    )) as Array<{ n: number }>;
    return row!.n;
  }

  async function dbLesson(id: string): Promise<Record<string, unknown> | undefined> {
    const [row] = (await t.db.query('SELECT * FROM lessons WHERE id = $1', [id])) as Array<Record<string, unknown>>;
    return row;
  }

  const api = (method: string, path: string, who: Who, body?: unknown): Promise<JsonResponse> =>
    callApi(t, method, path, body, token(who));

  let published: string;
  let unpublished: string;

  beforeAll(async () => {
    // LessonsHttpModule is mounted here too, so this suite does not depend on CoursesHttpModule
    // importing it (Nest keeps a single instance of a module imported twice).
    t = await createTestApp({ workers: false, extraModules: [LessonsHttpModule] });
    actors.admin = await makeUser('admin');
    actors.owner = await makeUser('instructor');
    actors.other = await makeUser('instructor');
    actors.student = await makeUser('student');
    published = await makeCourse(true);
    unpublished = await makeCourse(false);
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('route × role matrix', () => {
    const everyone: Who[] = ['anonymous', 'student', 'other', 'owner', 'admin'];
    const managers: Record<Who, number> = { anonymous: 401, student: 403, other: 403, owner: 0, admin: 0 };

    it.each(everyone)('GET /courses/{id}/lessons of a published course: %s → 200', async (who) => {
      const lesson = await addLesson(published);
      const res = await api('GET', `/courses/${published}/lessons`, who);
      expect(res.status).toBe(200);
      const items = res.body.items as Array<{ id: string }>;
      expect(items.map((i) => i.id)).toContain(lesson.id);
      expect(res.body.total).toBe(items.length);
    });

    it.each(everyone)('GET /lessons/{id} of a published course: %s → 200', async (who) => {
      const lesson = await addLesson(published);
      const res = await api('GET', `/lessons/${lesson.id}`, who);
      expect(res.status).toBe(200);
      expect(res.body.id).toBe(lesson.id);
    });

    it.each([
      ['anonymous', 403],
      ['student', 403],
      ['other', 403],
      ['owner', 200],
      ['admin', 200],
    ] as Array<[Who, number]>)(
      'unpublished course (preview lesson included): %s → %i on the list and by id',
      async (who, status) => {
        const lesson = await addLesson(unpublished, { is_preview: true });
        const list = await api('GET', `/courses/${unpublished}/lessons`, who);
        expect(list.status).toBe(status);
        const one = await api('GET', `/lessons/${lesson.id}`, who);
        expect(one.status).toBe(status);
        if (status === 403) {
          expect(list.body.code).toBe('forbidden');
          expect(list.body.items).toBeUndefined();
          expect(one.body.code).toBe('forbidden');
          expect(one.body.lesson_type).toBeUndefined();
        } else {
          expect((list.body.items as Array<{ id: string }>).map((i) => i.id)).toContain(lesson.id);
          expect(one.body.id).toBe(lesson.id);
        }
      },
    );

    it.each(everyone)('POST /courses/{id}/lessons: %s', async (who) => {
      for (const course of [published, unpublished]) {
        const before = await lessonCount(course);
        const res = await api('POST', `/courses/${course}/lessons`, who, {
          title: 'Matrix lesson',
          lesson_type: 'text',
        });
        if (managers[who]) {
          expect(res.status).toBe(managers[who]);
          expect(await lessonCount(course)).toBe(before);
        } else {
          expect(res.status).toBe(201);
          expect(res.body.course_id).toBe(course);
          expect(await lessonCount(course)).toBe(before + 1);
        }
      }
    });

    it.each(everyone)('PATCH /lessons/{id}: %s', async (who) => {
      for (const course of [published, unpublished]) {
        const lesson = await addLesson(course);
        const res = await api('PATCH', `/lessons/${lesson.id}`, who, { title: 'Renamed by matrix' });
        const row = await dbLesson(lesson.id);
        if (managers[who]) {
          expect(res.status).toBe(managers[who]);
          expect(row!.title).toBe(lesson.title);
        } else {
          expect(res.status).toBe(200);
          expect(res.body.title).toBe('Renamed by matrix');
          expect(row!.title).toBe('Renamed by matrix');
        }
      }
    });

    it.each(everyone)('DELETE /lessons/{id}: %s', async (who) => {
      for (const course of [published, unpublished]) {
        const lesson = await addLesson(course);
        const res = await api('DELETE', `/lessons/${lesson.id}`, who);
        if (managers[who]) {
          expect(res.status).toBe(managers[who]);
          expect(await dbLesson(lesson.id)).toBeDefined();
        } else {
          expect(res.status).toBe(204);
          expect(await dbLesson(lesson.id)).toBeUndefined();
        }
      }
    });

    it('another instructor cannot manage through their role alone; the owner of another course neither', async () => {
      const othersCourse = await makeCourse(true, actors.other.user.id);
      const res = await api('POST', `/courses/${othersCourse}/lessons`, 'owner', {
        title: 'Nope',
        lesson_type: 'text',
      });
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('forbidden');
      expect(
        (await api('POST', `/courses/${othersCourse}/lessons`, 'other', { title: 'Yes', lesson_type: 'text' })).status,
      ).toBe(201);
    });

    it('a bad token on the public reads counts as anonymous', async () => {
      const lesson = await addLesson(unpublished);
      expect((await callApi(t, 'GET', `/lessons/${lesson.id}`, undefined, 'not-a-jwt')).status).toBe(403);
      expect((await callApi(t, 'GET', `/courses/${published}/lessons`, undefined, 'not-a-jwt')).status).toBe(200);
    });
  });

  describe('not found and non-UUID ids', () => {
    const missing = randomUUID();

    it('unknown course → 404 on list and create', async () => {
      const list = await api('GET', `/courses/${missing}/lessons`, 'anonymous');
      expect(list.status).toBe(404);
      expect(list.body.detail).toBe('Course not found');
      const create = await api('POST', `/courses/${missing}/lessons`, 'admin', {
        title: 'Nowhere',
        lesson_type: 'text',
      });
      expect(create.status).toBe(404);
    });

    it.each(['GET', 'PATCH', 'DELETE'])('unknown lesson → 404 on %s', async (method) => {
      const res = await api(
        method,
        `/lessons/${missing}`,
        'admin',
        method === 'PATCH' ? { title: 'Whatever' } : undefined,
      );
      expect(res.status).toBe(404);
      expect(res.body.detail).toBe('Lesson not found');
    });

    it.each([
      ['GET', '/courses/not-a-uuid/lessons', undefined],
      ['POST', '/courses/not-a-uuid/lessons', { title: 'Valid title', lesson_type: 'text' }],
      ['GET', '/lessons/not-a-uuid', undefined],
      ['PATCH', '/lessons/not-a-uuid', { title: 'Valid title' }],
      ['DELETE', '/lessons/not-a-uuid', undefined],
    ])('%s %s → 422', async (method, path, body) => {
      const before = await lessonCount();
      const res = await api(method, path, 'admin', body);
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('validation_failed');
      expect(await lessonCount()).toBe(before);
    });
  });

  describe('POST validation (no row written on failure)', () => {
    let course: string;
    let otherCourseLesson: string;
    beforeAll(async () => {
      course = await makeCourse(true);
      otherCourseLesson = (await addLesson(await makeCourse(true))).id;
    });

    const base = { title: 'A valid title', lesson_type: 'text' };
    const invalid: Array<[string, Record<string, unknown>, number, string]> = [
      ['title missing', { title: undefined }, 422, 'validation_failed'],
      ['title null', { title: null }, 422, 'validation_failed'],
      ['title too short', { title: 'ab' }, 422, 'validation_failed'],
      ['title blank after trim', { title: '   ab   ' }, 422, 'validation_failed'],
      ['title too long', { title: 'x'.repeat(256) }, 422, 'validation_failed'],
      ['title not a string', { title: 12345 }, 422, 'validation_failed'],
      ['slug too long', { slug: 's'.repeat(256) }, 422, 'validation_failed'],
      ['description too long', { description: 'd'.repeat(10_001) }, 422, 'validation_failed'],
      ['content too long', { content: 'c'.repeat(200_001) }, 422, 'validation_failed'],
      ['lesson_type missing', { lesson_type: undefined }, 422, 'validation_failed'],
      ['lesson_type unknown', { lesson_type: 'podcast' }, 422, 'validation_failed'],
      ['order_index 0', { order_index: 0 }, 422, 'validation_failed'],
      ['order_index fractional', { order_index: 1.5 }, 422, 'validation_failed'],
      ['order_index a string', { order_index: '1' }, 422, 'validation_failed'],
      ['order_index beyond integer', { order_index: 2_147_483_648 }, 422, 'validation_failed'],
      ['parent_lesson_id not a uuid', { parent_lesson_id: 'nope' }, 422, 'validation_failed'],
      ['parent_lesson_id missing lesson', { parent_lesson_id: randomUUID() }, 404, 'parent_not_found'],
      ['duration_minutes 0', { duration_minutes: 0 }, 422, 'validation_failed'],
      ['duration_minutes a string', { duration_minutes: '5' }, 422, 'validation_failed'],
      ['video_url ftp', { lesson_type: 'video', video_url: 'ftp://example.com/v.mp4' }, 422, 'invalid_video_url'],
      ['video_url without scheme', { lesson_type: 'video', video_url: 'example.com/v.mp4' }, 422, 'invalid_video_url'],
      ['video_url without host', { lesson_type: 'video', video_url: 'http://' }, 422, 'invalid_video_url'],
      [
        'video_url too long',
        { lesson_type: 'video', video_url: `https://e.com/${'v'.repeat(2048)}` },
        422,
        'validation_failed',
      ],
      ['video_url on a text lesson', { video_url: 'https://example.com/v.mp4' }, 422, 'video_url_not_allowed'],
      [
        'video_link alias on a quiz',
        { lesson_type: 'quiz', video_link: 'https://example.com/v.mp4' },
        422,
        'video_url_not_allowed',
      ],
      ['is_preview a string', { is_preview: 'yes' }, 422, 'validation_failed'],
      ['metadata a string', { metadata: 'x' }, 422, 'validation_failed'],
      ['metadata an array', { metadata: [1, 2] }, 422, 'validation_failed'],
      ['an unknown field', { is_published: true }, 422, 'validation_failed'],
    ];

    it.each(invalid)('%s → %i %s', async (_name, patch, status, code) => {
      const before = await lessonCount();
      const res = await api('POST', `/courses/${course}/lessons`, 'owner', { ...base, ...patch });
      expect(res.status).toBe(status);
      expect(res.body.code).toBe(code);
      expect(typeof res.body.detail).toBe('string');
      if (status === 422) expect(Array.isArray(res.body.errors)).toBe(true);
      expect(await lessonCount()).toBe(before);
    });

    it('parent in another course → 422 parent_other_course', async () => {
      const before = await lessonCount();
      const res = await api('POST', `/courses/${course}/lessons`, 'admin', {
        ...base,
        parent_lesson_id: otherCourseLesson,
      });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('parent_other_course');
      expect(await lessonCount()).toBe(before);
    });

    it('duplicate order_index → 409 order_conflict', async () => {
      const c = await makeCourse(true);
      await addLesson(c, { order_index: 3 });
      const before = await lessonCount(c);
      const res = await api('POST', `/courses/${c}/lessons`, 'owner', { ...base, order_index: 3 });
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('order_conflict');
      expect(await lessonCount(c)).toBe(before);
    });

    it('defaults: slug from title, order max+1, is_preview false; metadata stored, never returned', async () => {
      const c = await makeCourse(true);
      const first = await addLesson(c, { title: '  Hello, World -- Part One  ', metadata: { level: 2 } });
      expect(first).toMatchObject({
        title: 'Hello, World -- Part One',
        slug: 'hello-world-part-one',
        order_index: 1,
        is_preview: false,
        description: null,
        content: null,
        parent_lesson_id: null,
        duration_minutes: null,
        video_url: null,
        lesson_type: 'text',
      });
      expect(first).not.toHaveProperty('metadata');
      expect(Object.keys(first).sort()).toEqual(
        [
          'id',
          'course_id',
          'title',
          'slug',
          'description',
          'content',
          'lesson_type',
          'order_index',
          'parent_lesson_id',
          'duration_minutes',
          'video_url',
          'is_preview',
          'created_at',
          'updated_at',
        ].sort(),
      );
      expect((await dbLesson(first.id))!.metadata).toEqual({ level: 2 });
      await addLesson(c, { order_index: 7 });
      const third = await addLesson(c, { slug: 'Custom Slug' });
      expect(third.order_index).toBe(8);
      expect(third.slug).toBe('Custom Slug');
      const same = await addLesson(c, { title: 'Hello, World -- Part One' });
      expect(same.slug).toBe('hello-world-part-one'); // not unique
      const got = await api('GET', `/lessons/${first.id}`, 'student');
      expect(got.body).not.toHaveProperty('metadata');
    });

    it('video_url: trimmed on video lessons; blank is null on any lesson', async () => {
      const c = await makeCourse(true);
      const video = await addLesson(c, { lesson_type: 'video', video_url: '  https://videos.example.com/a.mp4  ' });
      expect(video.video_url).toBe('https://videos.example.com/a.mp4');
      const text = await addLesson(c, { video_url: '   ' });
      expect(text.video_url).toBeNull();
      const alias = await addLesson(c, { lesson_type: 'video', video_link: 'http://v.example.com/b' });
      expect(alias.video_url).toBe('http://v.example.com/b');
    });

    it('concurrent creates without order_index all succeed with distinct positions', async () => {
      const c = await makeCourse(true);
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          api('POST', `/courses/${c}/lessons`, i % 2 ? 'owner' : 'admin', {
            title: `Parallel ${i}`,
            lesson_type: 'text',
          }),
        ),
      );
      expect(results.map((r) => r.status)).toEqual(Array(12).fill(201));
      const orders = results.map((r) => r.body.order_index as number).sort((a, b) => a - b);
      expect(orders).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    });
  });

  describe('PATCH', () => {
    let course: string;
    beforeAll(async () => {
      course = await makeCourse(true);
    });

    it.each(['title', 'slug', 'lesson_type', 'order_index', 'is_preview'])(
      '%s: null → 422 not_null, nothing changes',
      async (field) => {
        const lesson = await addLesson(course);
        const before = await dbLesson(lesson.id);
        const res = await api('PATCH', `/lessons/${lesson.id}`, 'owner', { [field]: null, description: 'changed' });
        expect(res.status).toBe(422);
        expect(res.body.errors).toEqual(
          expect.arrayContaining([{ field, message: `'${field}' cannot be null`, code: 'not_null' }]),
        );
        expect(await dbLesson(lesson.id)).toEqual(before);
      },
    );

    it.each([
      ['title too short', { title: 'ab' }],
      ['lesson_type unknown', { lesson_type: 'podcast' }],
      ['order_index 0', { order_index: 0 }],
      ['duration_minutes 0', { duration_minutes: 0 }],
      ['description too long', { description: 'd'.repeat(10_001) }],
      ['unknown field', { course_id: randomUUID() }],
    ])('%s → 422, nothing changes', async (_name, body) => {
      const lesson = await addLesson(course);
      const before = await dbLesson(lesson.id);
      const res = await api('PATCH', `/lessons/${lesson.id}`, 'owner', body);
      expect(res.status).toBe(422);
      expect(await dbLesson(lesson.id)).toEqual(before);
    });

    it('null clears nullable fields; absent fields stay; metadata replaced, not returned', async () => {
      const lesson = await addLesson(course, {
        description: 'D',
        content: 'C',
        duration_minutes: 9,
        metadata: { a: 1 },
      });
      const res = await api('PATCH', `/lessons/${lesson.id}`, 'admin', {
        description: null,
        duration_minutes: null,
        metadata: { b: 2 },
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ description: null, duration_minutes: null, content: 'C', title: lesson.title });
      expect(res.body).not.toHaveProperty('metadata');
      expect((await dbLesson(lesson.id))!.metadata).toEqual({ b: 2 });
      expect(new Date(res.body.updated_at as string).getTime()).toBeGreaterThanOrEqual(
        new Date(lesson.updated_at as string).getTime(),
      );
    });

    it('order clash → 409 order_conflict; a free position works', async () => {
      const a = await addLesson(course);
      const b = await addLesson(course);
      const clash = await api('PATCH', `/lessons/${b.id}`, 'owner', { order_index: a.order_index });
      expect(clash.status).toBe(409);
      expect(clash.body.code).toBe('order_conflict');
      expect((await dbLesson(b.id))!.order_index).toBe(b.order_index);
      const free = await api('PATCH', `/lessons/${b.id}`, 'owner', { order_index: 500 });
      expect(free.status).toBe(200);
      expect(free.body.order_index).toBe(500);
    });

    it('cycles → 422 lesson_cycle (self, child, grandchild); valid re-parenting and detaching work', async () => {
      const a = await addLesson(course);
      const b = await addLesson(course, { parent_lesson_id: a.id });
      const c = await addLesson(course, { parent_lesson_id: b.id });
      expect(c.parent_lesson_id).toBe(b.id);

      const self = await api('PATCH', `/lessons/${a.id}`, 'owner', { parent_lesson_id: a.id });
      expect(self.status).toBe(422);
      expect(self.body).toMatchObject({ code: 'lesson_cycle', detail: 'Lesson cannot be its own parent' });
      for (const descendant of [b.id, c.id]) {
        const res = await api('PATCH', `/lessons/${a.id}`, 'owner', {
          parent_lesson_id: descendant,
          title: 'Changed?',
        });
        expect(res.status).toBe(422);
        expect(res.body).toMatchObject({ code: 'lesson_cycle', detail: 'Parent lesson creates a cycle' });
      }
      const row = await dbLesson(a.id);
      expect(row!.parent_lesson_id).toBeNull();
      expect(row!.title).toBe(a.title);

      const reparent = await api('PATCH', `/lessons/${c.id}`, 'owner', { parent_lesson_id: a.id });
      expect(reparent.status).toBe(200);
      expect(reparent.body.parent_lesson_id).toBe(a.id);
      // c is no longer under b: b may now go under c.
      expect((await api('PATCH', `/lessons/${b.id}`, 'owner', { parent_lesson_id: c.id })).status).toBe(200);
      const detach = await api('PATCH', `/lessons/${b.id}`, 'owner', { parent_lesson_id: null });
      expect(detach.status).toBe(200);
      expect(detach.body.parent_lesson_id).toBeNull();
    });

    it('parent missing → 404 parent_not_found; in another course → 422 parent_other_course', async () => {
      const lesson = await addLesson(course);
      const missing = await api('PATCH', `/lessons/${lesson.id}`, 'owner', { parent_lesson_id: randomUUID() });
      expect(missing.status).toBe(404);
      expect(missing.body.code).toBe('parent_not_found');
      const foreign = await addLesson(await makeCourse(true));
      const other = await api('PATCH', `/lessons/${lesson.id}`, 'owner', { parent_lesson_id: foreign.id });
      expect(other.status).toBe(422);
      expect(other.body.code).toBe('parent_other_course');
      expect((await dbLesson(lesson.id))!.parent_lesson_id).toBeNull();
    });

    it('video_url rules on PATCH', async () => {
      const video = await addLesson(course, { lesson_type: 'video', video_url: 'https://v.example.com/1' });
      const bad = await api('PATCH', `/lessons/${video.id}`, 'owner', { video_url: 'mailto:x@example.com' });
      expect(bad.status).toBe(422);
      expect(bad.body.code).toBe('invalid_video_url');
      const notAllowed = await api('PATCH', `/lessons/${video.id}`, 'owner', {
        lesson_type: 'text',
        video_url: 'https://v.example.com/2',
      });
      expect(notAllowed.status).toBe(422);
      expect(notAllowed.body.code).toBe('video_url_not_allowed');
      expect(await dbLesson(video.id)).toMatchObject({ lesson_type: 'video', video_url: 'https://v.example.com/1' });

      const trimmed = await api('PATCH', `/lessons/${video.id}`, 'owner', { video_url: '  https://v.example.com/3 ' });
      expect(trimmed.body.video_url).toBe('https://v.example.com/3');
      const retitled = await api('PATCH', `/lessons/${video.id}`, 'owner', { title: 'Still a video' });
      expect(retitled.body.video_url).toBe('https://v.example.com/3');

      const toText = await api('PATCH', `/lessons/${video.id}`, 'owner', { lesson_type: 'text' });
      expect(toText.status).toBe(200);
      expect(toText.body).toMatchObject({ lesson_type: 'text', video_url: null });
      expect((await dbLesson(video.id))!.video_url).toBeNull();

      const text = await addLesson(course);
      const onText = await api('PATCH', `/lessons/${text.id}`, 'owner', { video_url: 'https://v.example.com/4' });
      expect(onText.status).toBe(422);
      expect(onText.body.code).toBe('video_url_not_allowed');
      const toVideo = await api('PATCH', `/lessons/${text.id}`, 'owner', {
        lesson_type: 'video',
        video_url: 'https://v.example.com/4',
      });
      expect(toVideo.status).toBe(200);
      expect(toVideo.body).toMatchObject({ lesson_type: 'video', video_url: 'https://v.example.com/4' });
      const cleared = await api('PATCH', `/lessons/${text.id}`, 'owner', { video_url: '  ' });
      expect(cleared.body.video_url).toBeNull();
    });

    it('deleting a parent detaches its children', async () => {
      const parent = await addLesson(course);
      const child = await addLesson(course, { parent_lesson_id: parent.id });
      expect((await api('DELETE', `/lessons/${parent.id}`, 'owner')).status).toBe(204);
      expect((await dbLesson(child.id))!.parent_lesson_id).toBeNull();
    });
  });

  describe('caching', () => {
    let course: string;
    beforeAll(async () => {
      course = await makeCourse(true);
    });

    it('reads are cached (a direct database change is not seen until a write)', async () => {
      const lesson = await addLesson(course, { title: 'Cached title' });
      expect((await api('GET', `/lessons/${lesson.id}`, 'student')).body.title).toBe('Cached title');
      expect((await api('GET', `/courses/${course}/lessons`, 'student')).body.total).toBe(1);
      await t.db.query("UPDATE lessons SET title = 'Behind the cache' WHERE id = $1", [lesson.id]);
      expect((await api('GET', `/lessons/${lesson.id}`, 'student')).body.title).toBe('Cached title');
      const list = await api('GET', `/courses/${course}/lessons`, 'student');
      expect((list.body.items as Array<{ title: string }>)[0]!.title).toBe('Cached title');
    });

    it('create, patch and delete invalidate the list and the lesson for every viewer', async () => {
      const course = await makeCourse(true);
      await addLesson(course, { title: 'Existing lesson' });
      const viewers: Who[] = ['anonymous', 'student', 'other', 'owner', 'admin'];
      const titles = async (who: Who): Promise<string[]> =>
        ((await api('GET', `/courses/${course}/lessons`, who)).body.items as Array<{ title: string }>).map(
          (i) => i.title,
        );

      const before: Record<string, string[]> = {};
      for (const who of viewers) before[who] = await titles(who);

      const created = await addLesson(course, { title: 'Fresh lesson' });
      for (const who of viewers) {
        expect(await titles(who)).toEqual([...before[who]!, 'Fresh lesson']);
        expect((await api('GET', `/lessons/${created.id}`, who)).body.title).toBe('Fresh lesson');
      }

      const patched = await api('PATCH', `/lessons/${created.id}`, 'owner', { title: 'Patched lesson' });
      expect(patched.status).toBe(200);
      for (const who of viewers) {
        expect(await titles(who)).toContain('Patched lesson');
        expect((await api('GET', `/lessons/${created.id}`, who)).body.title).toBe('Patched lesson');
      }

      expect((await api('DELETE', `/lessons/${created.id}`, 'admin')).status).toBe(204);
      for (const who of viewers) {
        expect(await titles(who)).not.toContain('Patched lesson');
        expect((await api('GET', `/lessons/${created.id}`, who)).status).toBe(404);
      }
    });

    it('course visibility is checked on every read: unpublishing hides cached lessons at once', async () => {
      const c = await makeCourse(true);
      const lesson = await addLesson(c, { is_preview: true });
      expect((await api('GET', `/courses/${c}/lessons`, 'student')).status).toBe(200);
      expect((await api('GET', `/lessons/${lesson.id}`, 'anonymous')).status).toBe(200);
      await t.db.query('UPDATE courses SET is_published = false WHERE id = $1', [c]);
      expect((await api('GET', `/courses/${c}/lessons`, 'student')).status).toBe(403);
      expect((await api('GET', `/lessons/${lesson.id}`, 'anonymous')).status).toBe(403);
      expect((await api('GET', `/lessons/${lesson.id}`, 'owner')).status).toBe(200);
    });
  });

  it('documents the routes in OpenAPI under the lessons tag', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = (await res.json()) as {
      paths: Record<string, Record<string, { tags?: string[] }>>;
      components: { schemas: Record<string, unknown> };
    };
    for (const [path, methods] of [
      ['/api/v1/courses/{course_id}/lessons', ['get', 'post']],
      ['/api/v1/lessons/{id}', ['get', 'patch', 'delete']],
    ] as const) {
      for (const m of methods) expect(doc.paths[path]?.[m]?.tags).toEqual(['lessons']);
    }
    expect(doc.components.schemas).toHaveProperty('LessonResponseDto');
    expect(doc.components.schemas).toHaveProperty('CreateLessonDto');
  });
});
