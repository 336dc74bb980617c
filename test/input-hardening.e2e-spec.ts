import { connect } from 'node:net';
import { DataSource } from 'typeorm';
import { MAX_JSON_DEPTH } from '#core';
import { callApi, createActor, createTestApp, type TestActor, type TestApp } from '#testing';

/**
 * Inputs that must never produce a 5xx: a sweep over every operation of the OpenAPI document, as an
 * admin, a student and anonymously, with NUL characters, unpaired surrogates, bytes that are not
 * UTF-8, over-long emoji strings, huge numbers, deep bodies and oversized metadata, in every path
 * parameter, query parameter and body field. Each answer must be a 4xx problem+json (naming the
 * field where validation can), and the database must be unchanged afterwards.
 */

const NO_ID = '00000000-0000-4000-8000-000000000000';
const PROBLEM = 'application/problem+json';

// ── The OpenAPI document ──────────────────────────────────────────────────────────────────────
interface Schema {
  type?: string;
  $ref?: string;
  properties?: Record<string, Schema>;
  items?: Schema;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  additionalProperties?: boolean | Schema;
}

interface Parameter {
  in: 'path' | 'query' | 'header' | 'cookie';
  name: string;
  schema?: Schema;
}

interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
}

interface OpenApiDocument {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

interface Op {
  method: string;
  /** OpenAPI template, e.g. /api/v1/courses/{id}. */
  template: string;
  params: Parameter[];
  bodyType?: 'json' | 'form';
  body?: Schema;
}

/** A place in a body where a value goes: `wrap(value)` builds the whole body, `field` is what errors name. */
interface Slot {
  field: string;
  schema: Schema;
  wrap: (value: unknown) => Record<string, unknown>;
}

/** The callers of the sweep: the guard-level checks run before authentication, the DTO-level ones after. */
type Who = 'admin' | 'student' | 'anonymous';

interface Sent {
  label: string;
  status: number;
  contentType: string;
  body: Record<string, unknown>;
}

// ── Helpers ───────────────────────────────────────────────────────────────────────────────────
function operations(doc: OpenApiDocument): Op[] {
  const ops: Op[] = [];
  for (const [template, methods] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(methods)) {
      const content = op.requestBody?.content ?? {};
      const json = content['application/json']?.schema;
      const form = content['application/x-www-form-urlencoded']?.schema;
      ops.push({
        method: method.toUpperCase(),
        template,
        params: op.parameters ?? [],
        bodyType: json ? 'json' : form ? 'form' : undefined,
        body: json ?? form,
      });
    }
  }
  return ops;
}

function resolve(doc: OpenApiDocument, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 10; i += 1) {
    if (s.$ref) s = doc.components.schemas[s.$ref.split('/').pop() ?? ''];
    else if (s.allOf?.length === 1) s = s.allOf[0];
    else break;
  }
  return s;
}

/** A free-form object (metadata): documented with `additionalProperties: true`. */
const isFreeForm = (s: Schema): boolean => s.type === 'object' && !s.properties && s.additionalProperties === true;
/** A number, or a field documented as a bare `object` with a numeric bound (some nullable fields are). */
const isNumeric = (s: Schema): boolean =>
  s.type === 'integer' ||
  s.type === 'number' ||
  (s.oneOf ?? []).some((o) => o.type === 'number') ||
  (s.type === 'object' && !s.properties && (s.minimum !== undefined || s.maximum !== undefined));
/** A string, or a field documented as a bare `object` that is neither free-form nor numeric (nullable scalars). */
const isText = (s: Schema): boolean =>
  s.type === 'string' || (s.type === 'object' && !s.properties && !isFreeForm(s) && !isNumeric(s));

/** Every leaf of a body schema (nested objects and arrays of objects included), as slots. */
function slots(doc: OpenApiDocument, schema: Schema, prefix = '', wrap = (v: unknown) => v, depth = 0): Slot[] {
  const out: Slot[] = [];
  const s = resolve(doc, schema);
  for (const [name, raw] of Object.entries(s.properties ?? {})) {
    const prop = resolve(doc, raw);
    const field = prefix ? `${prefix}.${name}` : name;
    const here = (v: unknown): Record<string, unknown> => wrap({ [name]: v }) as Record<string, unknown>;
    if (prop.type === 'array' && prop.items) {
      const item = resolve(doc, prop.items);
      if (item.properties && depth < 3) out.push(...slots(doc, item, field, (v) => here([v]), depth + 1));
      else out.push({ field, schema: item, wrap: (v) => here([v]) });
    } else if (prop.properties && depth < 3) {
      out.push(...slots(doc, prop, field, here, depth + 1));
    } else {
      out.push({ field, schema: prop, wrap: here });
    }
  }
  return out;
}

/** What a failed validation names: the errors' fields start with the slot's top-level name. */
function namesField(body: Record<string, unknown>, field: string): boolean {
  const root = field.split('.')[0];
  const errors = Array.isArray(body.errors) ? (body.errors as Array<{ field?: unknown }>) : [];
  return errors.some((e) => typeof e.field === 'string' && (e.field === root || e.field.startsWith(root)));
}

/** "❤️" is two code points (U+2764 U+FE0F): enough of them to exceed `max` code points by one or two. */
const overLongEmoji = (max: number): string => '❤️'.repeat(Math.floor(max / 2) + 1);

/** A raw HTTP/1.1 exchange (for requests fetch refuses to send). */
function rawHttp(t: TestApp, text: string): Promise<string> {
  const url = new URL(t.baseUrl);
  return new Promise((resolvePromise, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(text));
    let out = '';
    socket.on('data', (d: Buffer) => (out += d.toString('latin1')));
    socket.on('close', () => resolvePromise(out));
    socket.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolvePromise(out) : reject(err)));
  });
}

describe('input hardening: no input gives a 5xx, and none is stored', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  let ops: Op[];
  let actors: Record<Exclude<Who, 'anonymous'>, TestActor>;
  /** Path parameter values of real rows, so that a missed check would reach the database. */
  let ids: Record<string, string>;
  let dataSource: DataSource;

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    dataSource = t.app.get(DataSource);
    actors = { admin: await createActor(t, 'admin', 'harden'), student: await createActor(t, 'student', 'harden') };
    const admin = actors.admin.token;
    const category = await callApi(t, 'POST', '/categories', { name: 'Hardening' }, admin);
    const course = await callApi(t, 'POST', '/courses', { title: 'Hardening course', category: 'hardening' }, admin);
    const cid = String(course.body.id);
    const lesson = await callApi(t, 'POST', `/courses/${cid}/lessons`, { title: 'First', lesson_type: 'text' }, admin);
    const quiz = await callApi(
      t,
      'POST',
      `/courses/${cid}/quizzes`,
      { lesson_id: lesson.body.id, title: 'Quiz one' },
      admin,
    );
    const question = await callApi(
      t,
      'POST',
      `/courses/${cid}/quizzes/${String(quiz.body.id)}/questions`,
      { question_text: 'Is it?', question_type: 'true_false', correct_answer: 'true' },
      admin,
    );
    expect((await callApi(t, 'POST', `/courses/${cid}/publish`, undefined, admin)).status).toBe(200);
    const enrollment = await callApi(t, 'POST', '/enrollments', { course_id: cid }, actors.student.token);
    expect([category, course, lesson, quiz, question, enrollment].map((r) => r.status)).toEqual(Array(6).fill(201));
    ids = {
      courses: cid,
      lessons: String(lesson.body.id),
      users: actors.student.user.id,
      categories: String(category.body.id),
      enrollments: String(enrollment.body.id),
      course_id: cid,
      lesson_id: String(lesson.body.id),
      quiz_id: String(quiz.body.id),
      question_id: String(question.body.id),
      slug: String(course.body.slug),
    };
    doc = (await (await t.request('/openapi.json')).json()) as OpenApiDocument;
    ops = operations(doc);
    expect(ops.length).toBeGreaterThan(50);
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  /** The value of a path parameter: a real row where one fits, else a UUID naming no row. */
  function paramValue(op: Op, name: string): string {
    if (name !== 'id') return ids[name] ?? NO_ID;
    const resource = op.template.replace('/api/v1/', '').split('/')[0];
    return ids[resource] ?? NO_ID;
  }

  /** The URL of `op` with `override` (already encoded) for one path parameter and an optional raw query. */
  function urlOf(op: Op, override?: { name: string; encoded: string }, query = ''): string {
    const path = op.template.replace(/\{([^}]+)\}/g, (_m, name: string) =>
      override?.name === name ? override.encoded : encodeURIComponent(paramValue(op, name)),
    );
    return query ? `${path}?${query}` : path;
  }

  async function send(
    label: string,
    who: Who,
    method: string,
    url: string,
    body?: { type: 'json' | 'form'; data: string | Buffer },
  ): Promise<Sent> {
    const headers: Record<string, string> = {};
    if (who !== 'anonymous') headers.authorization = `Bearer ${actors[who].token}`;
    if (body) headers['content-type'] = body.type === 'json' ? 'application/json' : 'application/x-www-form-urlencoded';
    const res = await t.request(url, { method, headers, body: body?.data });
    const text = await res.text();
    let parsed: Record<string, unknown>;
    try {
      parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    } catch {
      parsed = { raw: text.slice(0, 200) };
    }
    return {
      label: `${who} ${method} ${url.slice(0, 120)} ${label}`,
      status: res.status,
      contentType: res.headers.get('content-type') ?? '',
      body: parsed,
    };
  }

  /** Runs the requests a few at a time. */
  async function sendAll(requests: Array<() => Promise<Sent>>): Promise<Sent[]> {
    const out: Sent[] = [];
    for (let i = 0; i < requests.length; i += 8)
      out.push(...(await Promise.all(requests.slice(i, i + 8).map((r) => r()))));
    return out;
  }

  /** Each answer is a 4xx problem+json; returns the ones that are not, described, for one readable failure. */
  function not4xxProblem(results: Sent[]): string[] {
    return results
      .filter((r) => r.status < 400 || r.status >= 500 || !r.contentType.startsWith(PROBLEM))
      .map((r) => `${r.label} → ${r.status} ${r.contentType} ${JSON.stringify(r.body).slice(0, 200)}`);
  }

  /** Row counts of every table, and the content of every table the relay does not touch. */
  async function snapshot(): Promise<Record<string, string>> {
    const tables = (await dataSource.query(
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
    )) as Array<{ table_name: string }>;
    const out: Record<string, string> = {};
    for (const { table_name: name } of tables) {
      const content =
        name === 'outbox_events'
          ? 'count(*)::text'
          : `count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY t::text)), '')`;
      const [row] = (await dataSource.query(`SELECT ${content} AS v FROM "${name}" t`)) as Array<{ v: string }>;
      out[name] = row.v;
    }
    return out;
  }

  /** Runs `sweep`, then checks that no table changed. */
  async function unchanged(sweep: () => Promise<void>): Promise<void> {
    const before = await snapshot();
    await sweep();
    expect(await snapshot()).toEqual(before);
  }

  const bodyOps = (): Op[] => ops.filter((op) => op.body);
  const jsonSlots = (op: Op): Slot[] => (op.body ? slots(doc, op.body) : []);
  const stringSlots = (op: Op): Slot[] => jsonSlots(op).filter((s) => isText(s.schema) || isFreeForm(s.schema));

  function bodyOf(op: Op, data: Record<string, unknown>): { type: 'json' | 'form'; data: string } {
    if (op.bodyType === 'form') {
      const form = Object.entries(data)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&');
      return { type: 'form', data: form };
    }
    return { type: 'json', data: JSON.stringify(data) };
  }

  /**
   * A text value in every string field, query parameter and path parameter of every operation,
   * as every caller: 422 naming the field (the check runs before authentication).
   */
  async function textSweep(value: string, encodedForUrl: string, pathStatus: 400 | 422): Promise<void> {
    const requests: Array<() => Promise<Sent>> = [];
    for (const op of ops) {
      for (const who of ['admin', 'student', 'anonymous'] as const) {
        for (const p of op.params.filter((x) => x.in === 'path')) {
          requests.push(() =>
            send(`path ${p.name}`, who, op.method, urlOf(op, { name: p.name, encoded: encodedForUrl })),
          );
        }
        for (const p of op.params.filter((x) => x.in === 'query')) {
          requests.push(() =>
            send(`query ${p.name}`, who, op.method, urlOf(op, undefined, `${p.name}=${encodedForUrl}`)),
          );
        }
        for (const slot of op.bodyType === 'json' ? stringSlots(op) : []) {
          const data = isFreeForm(slot.schema) ? slot.wrap({ note: value }) : slot.wrap(value);
          requests.push(() => send(`body ${slot.field}`, who, op.method, urlOf(op), bodyOf(op, data)));
          if (isFreeForm(slot.schema)) {
            requests.push(() =>
              send(`body key ${slot.field}`, who, op.method, urlOf(op), bodyOf(op, slot.wrap({ [value]: 1 }))),
            );
          }
        }
        for (const slot of op.bodyType === 'form' ? stringSlots(op) : []) {
          requests.push(() =>
            send(`form ${slot.field}`, who, op.method, urlOf(op), {
              type: 'form',
              data: `${slot.field}=${encodedForUrl}`,
            }),
          );
        }
      }
    }
    const results = await sendAll(requests);
    expect(results.length).toBeGreaterThan(300);
    expect(not4xxProblem(results)).toEqual([]);
    const unnamed = results.filter((r) => {
      const field = /(?:path|query|body|body key|form) (\S+)$/.exec(r.label)?.[1] ?? '';
      if (pathStatus === 400 && / path \S+$/.test(r.label)) return r.status !== 400;
      return r.status !== 422 || !namesField(r.body, field);
    });
    expect(unnamed.map((r) => `${r.label} → ${r.status} ${JSON.stringify(r.body).slice(0, 200)}`)).toEqual([]);
  }

  it('1. NUL characters: 422 in every body field, JSON key, query parameter and path segment', async () => {
    await unchanged(() => textSweep('a\u0000b', 'a%00b', 422));
  }, 120_000);

  it('2. unpaired surrogates and invalid UTF-8: 422, never stored as U+FFFD', async () => {
    // In JSON a "\ud800" escape is a lone surrogate; in a URL or a form the closest is its UTF-8-like
    // encoding %ED%A0%80, which is not UTF-8. Path segments that do not decode are a 400 problem.
    await unchanged(async () => {
      await textSweep('a\ud800b', 'a%ED%A0%80b', 400);
      const bytes: Array<() => Promise<Sent>> = [];
      for (const op of bodyOps().filter((o) => o.bodyType === 'json')) {
        for (const who of ['admin', 'anonymous'] as const) {
          const data = Buffer.concat([Buffer.from('{"x":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]);
          bytes.push(() => send('utf8 body', who, op.method, urlOf(op), { type: 'json', data }));
        }
      }
      const results = await sendAll(bytes);
      expect(not4xxProblem(results)).toEqual([]);
      expect(results.filter((r) => r.status !== 422 || !namesField(r.body, 'body')).map((r) => r.label)).toEqual([]);
      const path = await send('path', 'anonymous', 'GET', '/api/v1/courses/slug/a%ED%A0%80b');
      expect([path.status, path.contentType.startsWith(PROBLEM)]).toEqual([400, true]);
    });
  }, 120_000);

  it('3. lengths count code points like PostgreSQL: over-long emoji strings are 422, path parameters 414', async () => {
    await unchanged(async () => {
      const requests: Array<() => Promise<Sent>> = [];
      const named: Sent[] = [];
      for (const op of ops) {
        for (const p of op.params.filter((x) => x.in === 'path')) {
          const encoded = encodeURIComponent(overLongEmoji(255));
          requests.push(() => send(`path ${p.name}`, 'admin', op.method, urlOf(op, { name: p.name, encoded })));
        }
        for (const p of op.params.filter((x) => x.in === 'query' && x.schema?.maxLength)) {
          const q = `${p.name}=${encodeURIComponent(overLongEmoji(p.schema?.maxLength ?? 0))}`;
          for (const who of ['admin', 'student'] as const) {
            requests.push(async () => {
              const r = await send(`query ${p.name}`, who, op.method, urlOf(op, undefined, q));
              named.push({ ...r, label: `${op.method} ${op.template} query ${p.name}` });
              return r;
            });
          }
        }
        for (const slot of stringSlots(op).filter((s) => s.schema.maxLength)) {
          const data = slot.wrap(overLongEmoji(slot.schema.maxLength ?? 0));
          for (const who of ['admin', 'student', 'anonymous'] as const) {
            requests.push(async () => {
              const r = await send(`body ${slot.field}`, who, op.method, urlOf(op), bodyOf(op, data));
              if (who !== 'anonymous') named.push({ ...r, label: `${op.method} ${op.template} body ${slot.field}` });
              return r;
            });
          }
        }
      }
      const results = await sendAll(requests);
      expect(not4xxProblem(results)).toEqual([]);
      expect(results.filter((r) => r.label.includes(' path ') && r.status !== 414).map((r) => r.label)).toEqual([]);
      expect(missedByEveryCaller(named)).toEqual([]);
    });
  }, 120_000);

  /** Per field: at least one authenticated caller (admin or student, whichever the route allows) got 422 naming it. */
  function missedByEveryCaller(results: Sent[]): string[] {
    const byField = new Map<string, Sent[]>();
    for (const r of results) byField.set(r.label, [...(byField.get(r.label) ?? []), r]);
    return [...byField.entries()]
      .filter(([label, rs]) => !rs.some((r) => r.status === 422 && namesField(r.body, label.split(' ').pop() ?? '')))
      .map(
        ([label, rs]) =>
          `${label} → ${rs.map((r) => `${r.status} ${JSON.stringify(r.body).slice(0, 160)}`).join(' | ')}`,
      );
  }

  it('4. numbers beyond the database range: page=1e300, page=10^18 and huge body numbers are 422', async () => {
    await unchanged(async () => {
      const requests: Array<() => Promise<Sent>> = [];
      const named: Sent[] = [];
      const huge = ['1e300', '1000000000000000000'];
      for (const op of ops) {
        for (const p of op.params.filter((x) => x.in === 'query' && x.schema && isNumeric(x.schema))) {
          for (const value of huge) {
            for (const who of ['admin', 'student', 'anonymous'] as const) {
              requests.push(async () => {
                const r = await send(`query ${p.name}`, who, op.method, urlOf(op, undefined, `${p.name}=${value}`));
                if (who !== 'anonymous')
                  named.push({ ...r, label: `${op.method} ${op.template} ${value} query ${p.name}` });
                return r;
              });
            }
          }
        }
        for (const slot of jsonSlots(op).filter((s) => isNumeric(s.schema))) {
          for (const value of [1e300, 1e18, -1e300]) {
            for (const who of ['admin', 'student', 'anonymous'] as const) {
              requests.push(async () => {
                const r = await send(`body ${slot.field}`, who, op.method, urlOf(op), bodyOf(op, slot.wrap(value)));
                if (who !== 'anonymous')
                  named.push({ ...r, label: `${op.method} ${op.template} ${value} body ${slot.field}` });
                return r;
              });
            }
          }
        }
      }
      const results = await sendAll(requests);
      expect(named.some((r) => r.label.includes('query page'))).toBe(true);
      expect(not4xxProblem(results)).toEqual([]);
      expect(missedByEveryCaller(named)).toEqual([]);
    });
  }, 120_000);

  it(`5. JSON nested deeper than ${MAX_JSON_DEPTH} levels is refused before validation, on every route`, async () => {
    await unchanged(async () => {
      const deep = (depth: number): string => `{"x":${'['.repeat(depth)}${']'.repeat(depth)}}`;
      const deepObject = (depth: number): string => `{"metadata":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;
      const requests: Array<() => Promise<Sent>> = [];
      for (const op of ops.filter((o) => o.method !== 'GET' && o.method !== 'HEAD' && o.bodyType !== 'form')) {
        for (const who of ['admin', 'anonymous'] as const) {
          for (const data of [deep(5000), deepObject(5000), deep(100_000)]) {
            requests.push(() => send('deep body', who, op.method, urlOf(op), { type: 'json', data }));
          }
        }
      }
      const results = await sendAll(requests);
      expect(not4xxProblem(results)).toEqual([]);
      const wrong = results.filter((r) => r.status !== 422 || !JSON.stringify(r.body).includes('"code":"max_depth"'));
      expect(wrong.map((r) => `${r.label} → ${r.status}`)).toEqual([]);
      // The limit leaves room for real bodies: MAX_JSON_DEPTH levels pass the parser.
      const ok = await send('depth at the limit', 'admin', 'POST', '/api/v1/auth/login', {
        type: 'json',
        data: deep(MAX_JSON_DEPTH - 1),
      });
      expect(ok.status).toBe(422);
      expect(JSON.stringify(ok.body)).not.toContain('max_depth');
    });
  }, 120_000);

  it('6. every free-form JSON object has a size cap (20 KB of metadata is 422)', async () => {
    await unchanged(async () => {
      const named: Sent[] = [];
      const requests: Array<() => Promise<Sent>> = [];
      let freeForm = 0;
      for (const op of bodyOps()) {
        for (const slot of jsonSlots(op).filter((s) => isFreeForm(s.schema))) {
          freeForm += 1;
          for (const who of ['admin', 'student'] as const) {
            requests.push(async () => {
              const r = await send(
                `body ${slot.field}`,
                who,
                op.method,
                urlOf(op),
                bodyOf(op, slot.wrap({ big: 'x'.repeat(20_000) })),
              );
              named.push({ ...r, label: `${op.method} ${op.template} body ${slot.field}` });
              return r;
            });
          }
        }
      }
      expect(freeForm).toBeGreaterThanOrEqual(6);
      const results = await sendAll(requests);
      expect(not4xxProblem(results)).toEqual([]);
      expect(missedByEveryCaller(named)).toEqual([]);
    });
  }, 120_000);

  it('7. framework errors are problem+json: bad percent-encoding, long parameters, bad preflights, 431', async () => {
    const check = async (label: string, url: string, init: RequestInit, status: number): Promise<void> => {
      const res = await t.request(url, init);
      const body = (await res.json()) as Record<string, unknown>;
      expect({ label, status: res.status, type: res.headers.get('content-type') }).toEqual({
        label,
        status,
        type: expect.stringContaining(PROBLEM),
      });
      expect(body).toEqual(expect.objectContaining({ status, request_id: res.headers.get('x-request-id') }));
    };
    await check('malformed %', '/api/v1/courses/%ZZ', {}, 400);
    await check('malformed % in a slug', '/api/v1/courses/slug/%E0%A4%A', {}, 400);
    await check('parameter over 255', `/api/v1/courses/slug/${'a'.repeat(256)}`, {}, 414);
    await check(
      'preflight without method',
      '/api/v1/courses',
      { method: 'OPTIONS', headers: { origin: 'http://x.test' } },
      400,
    );
    await check('OPTIONS without CORS headers', '/api/v1/courses', { method: 'OPTIONS' }, 400);
    // A 255-character slug (what the column holds) still reaches the route.
    const long = await t.request(`/api/v1/courses/slug/${'a'.repeat(255)}`);
    expect(long.status).toBe(404);

    for (const [label, request] of [
      ['long header', `GET /api/v1/courses HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
      ['long URL', `GET /api/v1/courses?search=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`],
      ['malformed HTTP', `GET /api/v1/courses HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header\r\n\r\n`],
    ] as const) {
      const answer = await rawHttp(t, request);
      const [head, body] = answer.split('\r\n\r\n');
      const status = label === 'malformed HTTP' ? 400 : 431;
      expect({ label, line: head.split('\r\n')[0] }).toEqual({
        label,
        line: expect.stringMatching(`^HTTP/1.1 ${status} `),
      });
      expect(head.toLowerCase()).toContain(`content-type: ${PROBLEM}`);
      expect(JSON.parse(body)).toEqual(expect.objectContaining({ status, request_id: expect.any(String) }));
    }
  });

  it('valid text is unaffected: emoji within the limit (in code points) is stored as sent', async () => {
    const title = '😀'.repeat(255); // 255 code points, 510 UTF-16 units: fits varchar(255)
    const created = await callApi(t, 'POST', '/courses', { title, metadata: { note: 'é ✓ 😀' } }, actors.admin.token);
    expect(created.status).toBe(201);
    expect(created.body.title).toBe(title);
    const [row] = (await dataSource.query('SELECT char_length(title) AS n FROM courses WHERE id = $1', [
      created.body.id,
    ])) as Array<{ n: number }>;
    expect(Number(row.n)).toBe(255);
    const search = await t.request(`/api/v1/courses?search=${encodeURIComponent('😀')}&page=${1_000_000_000}`);
    expect(search.status).toBe(200);
  });
});
