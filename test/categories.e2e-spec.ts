import type { Role } from '#core';
import { type User } from '#users';
import { callApi, createTestApp, type JsonResponse, type TestApp, createActor } from '#testing';

interface Who {
  user: User;
  token: string;
}

interface CategoryBody {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  course_count: number;
}

const NO_ID = '00000000-0000-4000-8000-000000000000';

describe('/categories', () => {
  let t: TestApp;
  let seq = 0;
  let admin: Who;
  let instructor: Who;
  let student: Who;

  const makeUser = (role: Role): Promise<Who> => createActor(t, role, 'category');

  const api = (method: string, path: string, who?: Who, body?: unknown): Promise<JsonResponse> =>
    callApi(t, method, path, body, who?.token);

  async function listed(slug: string): Promise<CategoryBody | undefined> {
    const res = await api('GET', '/categories');
    expect(res.status).toBe(200);
    return (res.body.items as CategoryBody[]).find((c) => c.slug === slug);
  }

  async function count(sql: string, params: unknown[] = []): Promise<number> {
    const [{ n }] = await t.db.query<{ n: string }>(sql, params);
    return Number(n);
  }

  async function course(category: string, publish: boolean): Promise<string> {
    seq += 1;
    const res = await api('POST', '/courses', instructor, { title: `Categorized ${seq}`, category });
    expect(res.status).toBe(201);
    const id = res.body.id as string;
    if (publish) {
      await t.db.query(
        "INSERT INTO lessons (course_id, title, slug, lesson_type, order_index) VALUES ($1, 'L', 'l', 'text', 1)",
        [id],
      );
      expect((await api('POST', `/courses/${id}/publish`, instructor)).status).toBe(200);
    }
    return id;
  }

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    admin = await makeUser('admin');
    instructor = await makeUser('instructor');
    student = await makeUser('student');
  });
  afterAll(async () => {
    await t?.close();
  });

  describe('route × role matrix', () => {
    it('GET /categories is public', async () => {
      for (const who of [undefined, student, instructor, admin]) {
        const res = await api('GET', '/categories', who);
        expect(res.status).toBe(200);
        expect(Array.isArray(res.body.items)).toBe(true);
      }
    });

    it('writes: anonymous 401, student and instructor 403, nothing written', async () => {
      const existing = await api('POST', '/categories', admin, { name: 'Matrix Existing' });
      expect(existing.status).toBe(201);
      const id = existing.body.id as string;
      const routes: Array<[string, string, unknown]> = [
        ['POST', '/categories', { name: 'Matrix New' }],
        ['PATCH', `/categories/${id}`, { name: 'Matrix Renamed' }],
        ['DELETE', `/categories/${id}`, undefined],
      ];
      for (const [method, path, body] of routes) {
        expect((await api(method, path, undefined, body)).status).toBe(401);
        for (const who of [student, instructor]) {
          const res = await api(method, path, who, body);
          expect(res.status).toBe(403);
          expect(res.body.code).toBe('forbidden');
        }
      }
      expect(await count("SELECT count(*) AS n FROM categories WHERE name LIKE 'Matrix%'")).toBe(1);
      expect(await count("SELECT count(*) AS n FROM categories WHERE name = 'Matrix Existing'")).toBe(1);
    });

    it('admin creates (201), updates (200) and deletes (204)', async () => {
      const created = await api('POST', '/categories', admin, {
        name: 'Data Science & ML',
        description: 'numbers',
      });
      expect(created.status).toBe(201);
      expect(created.body).toMatchObject({ slug: 'data-science-ml', name: 'Data Science & ML', course_count: 0 });
      const id = created.body.id as string;
      const patched = await api('PATCH', `/categories/${id}`, admin, { name: 'Data', description: null });
      expect(patched.status).toBe(200);
      expect(patched.body).toMatchObject({ name: 'Data', description: null, slug: 'data-science-ml' });
      expect((await api('DELETE', `/categories/${id}`, admin)).status).toBe(204);
      expect((await api('DELETE', `/categories/${id}`, admin)).status).toBe(404);
      expect((await api('PATCH', `/categories/${NO_ID}`, admin, { name: 'x' })).status).toBe(404);
      expect((await api('PATCH', '/categories/not-a-uuid', admin, { name: 'x' })).status).toBe(422);
      expect((await api('DELETE', '/categories/not-a-uuid', admin)).status).toBe(422);
    });
  });

  describe('validation', () => {
    it('a taken slug is 409 slug_taken (create and rename)', async () => {
      expect((await api('POST', '/categories', admin, { name: 'Unique One', slug: 'unique-one' })).status).toBe(201);
      const dup = await api('POST', '/categories', admin, { name: 'Other', slug: 'unique-one' });
      expect(dup.status).toBe(409);
      expect(dup.body.code).toBe('slug_taken');
      const other = await api('POST', '/categories', admin, { name: 'Unique Two' });
      const rename = await api('PATCH', `/categories/${other.body.id as string}`, admin, { slug: 'unique-one' });
      expect(rename.status).toBe(409);
      expect(rename.body.code).toBe('slug_taken');
    });

    it.each<[string, Record<string, unknown>]>([
      ['a missing name', {}],
      ['a long name', { name: 'x'.repeat(101) }],
      ['a long slug', { name: 'n', slug: 'x'.repeat(101) }],
      ['a bad slug', { name: 'n', slug: 'Bad Slug' }],
      ['an unknown field', { name: 'n', course_count: 3 }],
      ['a long description', { name: 'n', description: 'x'.repeat(2001) }],
    ])('rejects %s with 422 and writes nothing', async (_label, body) => {
      const before = await count('SELECT count(*) AS n FROM categories');
      const res = await api('POST', '/categories', admin, body);
      expect(res.status).toBe(422);
      expect(await count('SELECT count(*) AS n FROM categories')).toBe(before);
    });

    it('PATCH: null name or slug is 422', async () => {
      const c = await api('POST', '/categories', admin, { name: 'Nullable' });
      for (const body of [{ name: null }, { slug: null }]) {
        expect((await api('PATCH', `/categories/${c.body.id as string}`, admin, body)).status).toBe(422);
      }
    });
  });

  describe('course counts, cache and delete', () => {
    it('course_count counts published courses; a cached list reflects publish, unpublish and rename', async () => {
      await api('POST', '/categories', admin, { name: 'Counted', slug: 'counted' });
      expect((await listed('counted'))?.course_count).toBe(0);
      await course('counted', false);
      const published = await course('counted', true);
      expect((await listed('counted'))?.course_count).toBe(1);
      await api('POST', `/courses/${published}/unpublish`, instructor);
      expect((await listed('counted'))?.course_count).toBe(0);
      const id = (await listed('counted'))!.id;
      await api('PATCH', `/categories/${id}`, admin, { name: 'Counted Renamed' });
      expect((await listed('counted'))?.name).toBe('Counted Renamed');
      const created = await api('POST', '/categories', admin, { name: 'Brand New Cat' });
      expect((await listed(created.body.slug as string))?.name).toBe('Brand New Cat');
    });

    it('renaming the slug shows in (cached) courses', async () => {
      const cat = await api('POST', '/categories', admin, { name: 'Before Rename', slug: 'before-rename' });
      const courseId = await course('before-rename', true);
      expect((await api('GET', `/courses/${courseId}`)).body.category).toBe('before-rename');
      await api('PATCH', `/categories/${cat.body.id as string}`, admin, { slug: 'after-rename' });
      expect((await api('GET', `/courses/${courseId}`)).body.category).toBe('after-rename');
    });

    it('deleting a category keeps its courses, without a category', async () => {
      const cat = await api('POST', '/categories', admin, { name: 'Doomed', slug: 'doomed' });
      const courseId = await course('doomed', true);
      expect((await api('GET', `/courses/${courseId}`)).body.category).toBe('doomed');
      expect((await api('GET', '/courses?category=doomed')).body.total).toBe(1);
      expect((await api('DELETE', `/categories/${cat.body.id as string}`, admin)).status).toBe(204);
      expect(await listed('doomed')).toBeUndefined();
      const after = await api('GET', `/courses/${courseId}`);
      expect(after.status).toBe(200);
      expect(after.body.category).toBeNull();
      // The category is gone: its filter matches nothing (and the cached page of 1 is not served).
      expect((await api('GET', '/courses?category=doomed')).body).toMatchObject({ items: [], total: 0 });
    });
  });
});
