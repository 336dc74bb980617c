import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { callApi, createActor, ManualClock, type TestActor } from '#testing';
import { makeCourseWithStudent } from './quiz-fixtures.js';
import { PNG, pngOfSize, startFilesApp, upload, uploaded, type FilesHarness } from './files-fixtures.js';

const KiB = 1024;
type Caller = 'anonymous' | 'owner' | 'admin' | 'student' | 'enrolled' | 'outsider' | 'instructor' | 'other';

describe('files: access and quota (local storage)', () => {
  let h: FilesHarness;
  let clock: ManualClock;
  let actors: Record<Exclude<Caller, 'anonymous'>, TestActor>;
  let courseId: string;

  beforeAll(async () => {
    clock = new ManualClock();
    h = await startFilesApp('local', { clock, env: { USER_STORAGE_QUOTA_MB: '1' } });
    const t = h.t;
    actors = {
      owner: await createActor(t, 'student', 'owner'),
      admin: await createActor(t, 'admin', 'admin'),
      student: await createActor(t, 'student', 'student'),
      enrolled: await createActor(t, 'student', 'enrolled'),
      outsider: await createActor(t, 'student', 'outsider'),
      instructor: await createActor(t, 'instructor', 'instructor'),
      other: await createActor(t, 'instructor', 'other'),
    };
    courseId = await makeCourseWithStudent(t, 'files', {
      published: true,
      instructorId: actors.instructor.user.id,
      studentId: actors.enrolled.user.id,
    });
  }, 60_000);
  afterAll(async () => h.close());

  const token = (who: Caller): string | undefined => (who === 'anonymous' ? undefined : actors[who].token);
  const status = async (method: string, path: string, who: Caller): Promise<number> => {
    const t = token(who);
    const res = await h.t.request(`/api/v1${path}`, { method, headers: t ? { authorization: `Bearer ${t}` } : {} });
    await res.arrayBuffer();
    return res.status;
  };

  /** Expected read status (download and signed-url) per caller, for each kind of file. */
  const READ: Record<'private' | 'public' | 'course' | 'courseByAdmin', Record<Caller, number>> = {
    private: {
      anonymous: 401,
      owner: 200,
      admin: 200,
      student: 403,
      enrolled: 403,
      outsider: 403,
      instructor: 403,
      other: 403,
    },
    public: {
      anonymous: 401,
      owner: 200,
      admin: 200,
      student: 200,
      enrolled: 200,
      outsider: 200,
      instructor: 200,
      other: 200,
    },
    // Uploaded by the course's instructor (its owner here).
    course: {
      anonymous: 401,
      owner: 403,
      admin: 200,
      student: 403,
      enrolled: 200,
      outsider: 403,
      instructor: 200,
      other: 403,
    },
    // Uploaded by an admin: the course's instructor reads it as its manager.
    courseByAdmin: {
      anonymous: 401,
      owner: 403,
      admin: 200,
      student: 403,
      enrolled: 200,
      outsider: 403,
      instructor: 200,
      other: 403,
    },
  };

  it('role × route matrix: download, signed-url, delete', async () => {
    const files = {
      private: await uploaded(h.t, actors.owner.token, { name: 'p.png', bytes: PNG }),
      public: await uploaded(h.t, actors.owner.token, { name: 'q.png', bytes: PNG, fields: { is_public: 'true' } }),
      course: await uploaded(h.t, actors.instructor.token, {
        name: 'c.png',
        bytes: PNG,
        fields: { course_id: courseId },
      }),
      courseByAdmin: await uploaded(h.t, actors.admin.token, {
        name: 'a.png',
        bytes: PNG,
        fields: { course_id: courseId },
      }),
    };
    expect(files.course.course_id).toBe(courseId);
    const got: Record<string, Record<string, number>> = {};
    const want: Record<string, Record<string, number>> = {};
    for (const kind of Object.keys(files) as Array<keyof typeof files>) {
      const id = String(files[kind].id);
      for (const who of Object.keys(READ[kind]) as Caller[]) {
        const expected = READ[kind][who];
        got[`${kind} download ${who}`] = { s: await status('GET', `/files/download/${id}`, who) };
        got[`${kind} signed-url ${who}`] = { s: await status('GET', `/files/${id}/signed-url`, who) };
        want[`${kind} download ${who}`] = { s: expected };
        want[`${kind} signed-url ${who}`] = { s: expected };
      }
    }
    expect(got).toEqual(want);

    // Delete: the owner or an admin; readers who are neither get 403.
    const id = String(files.course.id);
    for (const who of ['anonymous', 'enrolled', 'other', 'owner'] as Caller[]) {
      expect({ who, s: await status('DELETE', `/files/${id}`, who) }).toEqual({
        who,
        s: who === 'anonymous' ? 401 : 403,
      });
    }
    expect(await status('DELETE', `/files/${id}`, 'instructor')).toBe(204);
    expect(await status('DELETE', `/files/${String(files.private.id)}`, 'admin')).toBe(204);
    expect(await status('DELETE', '/files/00000000-0000-4000-8000-000000000000', 'admin')).toBe(404);
    expect(await status('DELETE', '/files/not-a-uuid', 'admin')).toBe(422);
    expect(await status('GET', '/files/download/00000000-0000-4000-8000-000000000000', 'admin')).toBe(404);
  });

  it('only the course managers may upload with a course_id', async () => {
    const spec = { name: 'x.png', bytes: PNG, fields: { course_id: courseId } };
    const rows = await h.rowCount();
    expect((await upload(h.t, actors.other.token, spec)).status).toBe(403);
    expect((await upload(h.t, actors.enrolled.token, spec)).status).toBe(403);
    expect((await upload(h.t, undefined, spec)).status).toBe(401);
    expect(await h.rowCount()).toBe(rows);
  });

  it('my-files: only the caller’s, newest first, paginated', async () => {
    const me = await createActor(h.t, 'student', 'lister');
    const ids: string[] = [];
    for (let i = 0; i < 3; i += 1)
      ids.push(String((await uploaded(h.t, me.token, { name: `${i}.png`, bytes: PNG })).id));
    const all = await callApi(h.t, 'GET', '/files/my-files', undefined, me.token);
    expect((all.body.files as Array<{ id: string }>).map((f) => f.id)).toEqual([...ids].reverse());
    expect(all.body.total).toBe(3);
    const page = await callApi(h.t, 'GET', '/files/my-files?page=2&page_size=2', undefined, me.token);
    expect((page.body.files as Array<{ id: string }>).map((f) => f.id)).toEqual([ids[0]]);
    expect(page.body.total).toBe(3);
    expect((await callApi(h.t, 'GET', '/files/my-files?page_size=101', undefined, me.token)).status).toBe(422);
    expect((await callApi(h.t, 'GET', '/files/my-files?file_type=video', undefined, me.token)).body).toEqual({
      files: [],
      total: 0,
    });
  });

  it('USER_STORAGE_QUOTA_MB: over it is 413 quota_exceeded, nothing kept', async () => {
    const me = await createActor(h.t, 'student', 'quota');
    await uploaded(h.t, me.token, { name: 'a.png', bytes: pngOfSize(700 * KiB) });
    const [rows, keys] = [await h.rowCount(), await h.storedKeys()];
    const res = await upload(h.t, me.token, { name: 'b.png', bytes: pngOfSize(400 * KiB) });
    expect({ status: res.status, code: res.body.code }).toEqual({ status: 413, code: 'quota_exceeded' });
    expect(await h.rowCount()).toBe(rows);
    expect(await h.storedKeys()).toEqual(keys);
    // Another user is unaffected.
    await uploaded(h.t, actors.student.token, { name: 'c.png', bytes: pngOfSize(400 * KiB) });
  });

  it('the quota holds under concurrent uploads (re-checked under the user’s row lock)', async () => {
    const me = await createActor(h.t, 'student', 'race');
    const keysBefore = await h.storedKeys();
    const results = await Promise.all(
      [0, 1, 2, 3].map((i) => upload(h.t, me.token, { name: `${i}.png`, bytes: pngOfSize(400 * KiB) })),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([201, 201, 413, 413]);
    const [{ used }] = await h.t.db.query<{ used: string }>(
      'SELECT coalesce(sum(file_size), 0) AS used FROM files WHERE owner_id = $1',
      [me.user.id],
    );
    expect(Number(used)).toBe(800 * KiB);
    const added = (await h.storedKeys()).filter((k) => !keysBefore.includes(k));
    expect(added.length).toBe(2);
  });
});

describe('files: the upload rate limit applies to the real route', () => {
  let h: FilesHarness;
  beforeAll(async () => {
    h = await startFilesApp('local', {
      env: { RATE_LIMIT_ENABLED: 'true', FILE_UPLOAD_RATE_LIMIT_REQUESTS_PER_HOUR: '2', REDIS_URL: undefined },
    });
  }, 60_000);
  afterAll(async () => h.close());

  it('counts per user: the third upload of one user is 429, another user still uploads', async () => {
    const a = await createActor(h.t, 'student', 'rl-a');
    const b = await createActor(h.t, 'student', 'rl-b');
    const first = await upload(h.t, a.token, { name: '1.png', bytes: PNG });
    expect(first.status).toBe(201);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect((await upload(h.t, a.token, { name: '2.png', bytes: PNG })).status).toBe(201);
    const third = await upload(h.t, a.token, { name: '3.png', bytes: PNG });
    expect({ status: third.status, code: third.body.code }).toEqual({ status: 429, code: 'rate_limited' });
    expect(third.headers.get('retry-after')).toBeTruthy();
    expect((await upload(h.t, b.token, { name: '1.png', bytes: PNG })).status).toBe(201);
    expect(await h.rowCount()).toBe(3);
  });
});
