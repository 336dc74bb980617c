import { NON_JSON_BODY_ROUTES, type ProblemBody } from '#core';
import { callApi, createActor, createTestApp, type TestActor, type TestApp } from '#testing';
import { PASSWORD, randomIp, register, uniqueEmail } from './auth-helpers.js';

type RequestBody = NonNullable<RequestInit['body']>;

const form = (fields: Record<string, string>): URLSearchParams => new URLSearchParams(fields);
const multipart = (fields: Record<string, string>): FormData => {
  const data = new FormData();
  for (const [k, v] of Object.entries(fields)) data.append(k, v);
  return data;
};

describe('media types: JSON routes take JSON only (415), form routes opt in', () => {
  let t: TestApp;
  let instructor: TestActor;

  beforeAll(async () => {
    t = await createTestApp({
      workers: false,
      env: { TRUSTED_PROXY_IPS: '127.0.0.1' },
    });
    instructor = await createActor(t, 'instructor', 'media');
  });
  afterAll(async () => {
    await t?.close();
  });

  const post = (path: string, body: RequestBody, headers: Record<string, string> = {}): Promise<Response> =>
    t.request(`/api/v1${path}`, { method: 'POST', body, headers: { 'x-forwarded-for': randomIp(), ...headers } });

  async function expect415(res: Response): Promise<ProblemBody> {
    expect(res.status).toBe(415);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as ProblemBody;
    expect(body).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(body.detail).toContain('application/json');
    expect(typeof body.request_id).toBe('string');
    expect(res.headers.get('set-cookie')).toBeNull();
    return body;
  }

  const encodings: Array<[string, (fields: Record<string, string>) => RequestBody]> = [
    ['application/x-www-form-urlencoded', form],
    ['multipart/form-data', multipart],
  ];

  describe.each(encodings)('a %s body', (_type, encode) => {
    it('to POST /auth/register → 415, no account', async () => {
      const email = uniqueEmail('form-reg');
      await expect415(await post('/auth/register', encode({ email, password: PASSWORD, full_name: 'Form User' })));
      expect(await t.db.query('SELECT 1 FROM users WHERE email = $1', [email])).toHaveLength(0);
    });

    it('to POST /courses (bearer) → 415, no course', async () => {
      const title = `Form course ${Math.random()}`;
      await expect415(await post('/courses', encode({ title }), { authorization: `Bearer ${instructor.token}` }));
      expect(await t.db.query('SELECT 1 FROM courses WHERE title = $1', [title])).toHaveLength(0);
    });

    it('to POST /auth/login-cookie (a cross-site login) → 415, no cookies, no session', async () => {
      const { email, id } = await register(t);
      const sessions = async (): Promise<number> =>
        (await t.db.query('SELECT 1 FROM refresh_tokens WHERE user_id = $1', [id])).length;
      const before = await sessions();
      await expect415(await post('/auth/login-cookie', encode({ email, password: PASSWORD })));
      expect(await sessions()).toBe(before);
    });
  });

  it('the same calls with JSON still work', async () => {
    const email = uniqueEmail('json-reg');
    const headers = { 'content-type': 'application/json' };
    const reg = await post(
      '/auth/register',
      JSON.stringify({ email, password: PASSWORD, full_name: 'Json User' }),
      headers,
    );
    expect(reg.status).toBe(201);
    const login = await post('/auth/login-cookie', JSON.stringify({ email, password: PASSWORD }), headers);
    expect(login.status).toBe(200);
    expect(login.headers.get('set-cookie')).toContain('access_token=');
  });

  it('POST /auth/token takes its OAuth2 form (urlencoded), not multipart', async () => {
    const { email } = await register(t);
    const ok = await post('/auth/token', form({ username: email, password: PASSWORD, grant_type: 'password' }));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { token_type: string }).token_type).toBe('bearer');
    const body = await expect415(await post('/auth/token', multipart({ username: email, password: PASSWORD })));
    expect(body.detail).toContain('application/x-www-form-urlencoded');
  });

  it('the upload route takes multipart (and JSON), no urlencoded form; other routes refuse multipart', async () => {
    expect(NON_JSON_BODY_ROUTES).toEqual({
      '/auth/token': ['application/x-www-form-urlencoded'],
      '/files/upload': ['multipart/form-data'],
    });
    // The real route (libs/files) with its multipart parser.
    const png = Buffer.from(
      '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
        '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
      'hex',
    );
    const data = new FormData();
    data.append('file', new Blob([png], { type: 'image/png' }), 'a.png');
    const auth = { authorization: `Bearer ${instructor.token}` };
    const ok = await post('/files/upload', data, auth);
    expect(ok.status).toBe(201);
    expect(await ok.json()).toMatchObject({ original_filename: 'a.png', file_type: 'image' });
    const body = await expect415(await post('/files/upload', form({ file: 'bytes' }), auth));
    expect(body.detail).toContain('multipart/form-data');
    // The parser exists, yet a JSON route refuses multipart.
    await expect415(
      await post('/courses', multipart({ title: 'Nope' }), { authorization: `Bearer ${instructor.token}` }),
    );
  });

  it('other media types, and a charset parameter on JSON', async () => {
    await expect415(await post('/auth/register', 'x', { 'content-type': 'text/xml' }));
    await expect415(await post('/auth/register', '{}', { 'content-type': 'application/merge-patch+json' }));
    const email = uniqueEmail('charset');
    const res = await post('/auth/register', JSON.stringify({ email, password: PASSWORD, full_name: 'Charset' }), {
      'content-type': 'Application/JSON; charset=utf-8',
    });
    expect(res.status).toBe(201);
  });

  it('a body-less POST with Content-Type: application/json is accepted (publish, unpublish, lesson delete)', async () => {
    const course = await callApi(t, 'POST', '/courses', { title: 'Bodyless publish' }, instructor.token);
    const lesson = await callApi(
      t,
      'POST',
      `/courses/${course.body.id as string}/lessons`,
      { title: 'Only lesson', lesson_type: 'text' },
      instructor.token,
    );
    expect(lesson.status).toBe(201);
    const bare = (method: string, path: string, headers: Record<string, string> = {}): Promise<Response> =>
      t.request(`/api/v1${path}`, {
        method,
        headers: { 'content-type': 'application/json', authorization: `Bearer ${instructor.token}`, ...headers },
      });
    const published = await bare('POST', `/courses/${course.body.id as string}/publish`);
    expect(published.status).toBe(200);
    expect(((await published.json()) as { is_published: boolean }).is_published).toBe(true);
    const explicit = await bare('POST', `/courses/${course.body.id as string}/unpublish`, { 'content-length': '0' });
    expect(explicit.status).toBe(200);
    expect((await bare('DELETE', `/lessons/${lesson.body.id as string}`)).status).toBe(204);
    // A route that needs a body: an empty JSON body is a missing body (422 naming the fields), not malformed JSON.
    const empty = await bare('POST', '/auth/register');
    expect(empty.status).toBe(422);
    const problem = (await empty.json()) as ProblemBody;
    expect(problem.code).toBe('validation_failed');
    expect(problem.errors?.map((e) => e.field)).toEqual(expect.arrayContaining(['email', 'password', 'full_name']));
  });

  it('a body-less POST with a form Content-Type is still refused (a cross-site form without fields)', async () => {
    const course = await callApi(t, 'POST', '/courses', { title: 'Form publish' }, instructor.token);
    const res = await t.request(`/api/v1/courses/${course.body.id as string}/publish`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Bearer ${instructor.token}` },
    });
    await expect415(res);
  });

  it('methods without a body ignore Content-Type; unknown routes stay 404', async () => {
    const res = await t.request('/api/v1/courses', {
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(200);
    const unknown = await post('/no-such-route', form({ a: 'b' }));
    expect(unknown.status).toBe(404);
  });
});
