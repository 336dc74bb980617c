// Certificates end to end: automatic issue on completion, exactly-once under redelivery and races,
// real PDFs parsed back, verification and revocation everywhere, the permission matrix, the Open
// Badges credential verified with jose against the served JWKS, and failure paths that leave
// neither row nor PDF — on local storage and on Azure Blob (Azurite).
import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import type { Role } from '#core';
import { callApi, createActor, type JsonResponse, type TestActor, type TestApp } from '#testing';
import { decodeStatusList, IssueCertificateHandler } from '#certificates';
import { PROVIDERS, faultInjection, startFilesApp, stopAzurite, type FilesHarness } from './files-fixtures.js';
import { until } from './queue-test-utils.js';

const NO_ID = '00000000-0000-4000-8000-000000000000';
const NUMBER = /^CERT-\d{8}-[0-9A-F]{6}$/;

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');
let pdfjs: PdfJs;

/** The text of every page of a PDF, as pdfjs extracts it (whitespace collapsed). */
async function pdfText(bytes: Uint8Array): Promise<string> {
  pdfjs ??= await import('pdfjs-dist/legacy/build/pdf.mjs');
  const doc = await pdfjs.getDocument({ data: new Uint8Array(bytes), isEvalSupported: false, verbosity: 0 }).promise;
  try {
    let text = '';
    for (let i = 1; i <= doc.numPages; i += 1) {
      const content = await (await doc.getPage(i)).getTextContent();
      for (const item of content.items) if ('str' in item) text += item.str + (item.hasEOL ? ' ' : '');
    }
    return text.replace(/\s+/g, ' ');
  } finally {
    await doc.destroy();
  }
}

describe.each(PROVIDERS)('certificates (%s storage)', (provider) => {
  let h: FilesHarness;
  let t: TestApp;
  let seq = 0;
  let admin: TestActor;
  let owner: TestActor;
  let otherInstructor: TestActor;
  const injection = faultInjection();
  const faulty = (): NonNullable<typeof injection.faults.storage> => injection.faults.storage!;

  const makeUser = (role: Role): Promise<TestActor> => createActor(t, role, 'cert');

  /** A published course of `owner` and a student enrolled in it; `completed` marks the enrollment done. */
  async function enrollment(opts: { completed?: boolean; studentName?: string; title?: string } = {}): Promise<{
    id: string;
    courseId: string;
    student: TestActor;
  }> {
    seq += 1;
    const [{ id: courseId }] = await t.db.query<{ id: string }>(
      `INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ($1, $2, $3, true) RETURNING id`,
      [opts.title ?? `Course ${seq}`, `cert-course-${seq}-${provider}`, owner.user.id],
    );
    const student = await makeUser('student');
    if (opts.studentName) {
      await t.db.query('UPDATE users SET full_name = $2 WHERE id = $1', [student.user.id, opts.studentName]);
    }
    const [{ id }] = await t.db.query<{ id: string }>(
      `INSERT INTO enrollments (student_id, course_id, status, completed_at)
       VALUES ($1, $2, $3, $4) RETURNING id`,
      [
        student.user.id,
        courseId,
        opts.completed === false ? 'active' : 'completed',
        opts.completed === false ? null : new Date('2026-11-30T09:30:00Z'),
      ],
    );
    return { id, courseId, student };
  }

  const generate = (who: TestActor | undefined, enrollmentId: string): Promise<JsonResponse> =>
    callApi(t, 'POST', `/certificates/enrollments/${enrollmentId}/generate`, undefined, who?.token);
  const certificateRows = async (enrollmentId: string): Promise<Array<Record<string, unknown>>> =>
    t.db.query('SELECT * FROM certificates WHERE enrollment_id = $1', [enrollmentId]);
  const pdfKeys = async (): Promise<string[]> => (await h.storedKeys()).filter((k) => k.startsWith('certificates/'));
  const download = (who: TestActor | undefined, id: string): Promise<Response> =>
    t.request(`/api/v1/certificates/${id}/download`, {
      headers: who ? { authorization: `Bearer ${who.token}` } : {},
    });

  beforeAll(async () => {
    h = await startFilesApp(provider, { extraModules: [injection.module] });
    t = h.t;
    admin = await makeUser('admin');
    owner = await makeUser('instructor');
    otherInstructor = await makeUser('instructor');
  });
  afterAll(async () => {
    await h?.close();
    await stopAzurite();
  });
  afterEach(() => {
    if (injection.faults.storage) injection.faults.storage.failPutAfterBytes = undefined;
  });

  it('a completed enrollment gets its certificate without anyone calling generate: row, PDF, event, email', async () => {
    // The real path: the last lesson completed through the API → enrollment.completed → the job.
    seq += 1;
    const [{ id: courseId }] = await t.db.query<{ id: string }>(
      `INSERT INTO courses (title, slug, instructor_id, is_published) VALUES ('Žluťoučký kůň: Ελληνικά и Русский', $1, $2, true)
       RETURNING id`,
      [`cert-auto-${seq}-${provider}`, owner.user.id],
    );
    const [{ id: lessonId }] = await t.db.query<{ id: string }>(
      `INSERT INTO lessons (course_id, title, slug, lesson_type, order_index) VALUES ($1, 'Only', 'only', 'video', 0) RETURNING id`,
      [courseId],
    );
    const student = await makeUser('student');
    await t.db.query('UPDATE users SET full_name = $2 WHERE id = $1', [student.user.id, 'Zoë Ångström-Nuñez']);
    const enrolled = await callApi(t, 'POST', '/enrollments', { course_id: courseId }, student.token);
    expect(enrolled.status).toBe(201);
    const enrollmentId = enrolled.body.id as string;
    const done = await callApi(
      t,
      'POST',
      `/enrollments/${enrollmentId}/lessons/${lessonId}/complete`,
      undefined,
      student.token,
    );
    expect(done.status).toBe(200);

    const mine = await until('the certificate in my-certificates', async () => {
      const res = await callApi(t, 'GET', '/certificates/my-certificates', undefined, student.token);
      return (res.body.total as number) > 0 ? res : undefined;
    });
    expect(mine.status).toBe(200);
    const [cert] = mine.body.certificates as Array<Record<string, unknown>>;
    expect(cert).toMatchObject({
      enrollment_id: enrollmentId,
      student_id: student.user.id,
      course_id: courseId,
      student_name: 'Zoë Ångström-Nuñez',
      course_title: 'Žluťoučký kůň: Ελληνικά и Русский',
      is_revoked: false,
      revoked_at: null,
      pdf_url: `/api/v1/certificates/${cert!.id as string}/download`,
    });
    expect(cert!.certificate_number).toMatch(NUMBER);
    const [enrollmentRow] = await t.db.query<{ certificate_issued_at: Date; completed_at: Date }>(
      'SELECT certificate_issued_at, completed_at FROM enrollments WHERE id = $1',
      [enrollmentId],
    );
    expect(enrollmentRow!.certificate_issued_at).toBeInstanceOf(Date);
    expect(cert!.completion_date).toBe(enrollmentRow!.completed_at.toISOString());
    // The number carries the UTC date of issue.
    const issued = new Date(cert!.issued_at as string).toISOString().slice(0, 10).replaceAll('-', '');
    expect((cert!.certificate_number as string).slice(5, 13)).toBe(issued);

    const events = await t.db.query<{ payload: Record<string, unknown> }>(
      "SELECT payload FROM outbox_events WHERE event_type = 'certificate.issued' AND payload->>'enrollment_id' = $1",
      [enrollmentId],
    );
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({
      certificate_id: cert!.id,
      certificate_number: cert!.certificate_number,
    });
    const emails = await t.db.query<{ payload: { to: string; text: string } }>(
      "SELECT payload FROM outbox_events WHERE event_type = 'email.requested' AND payload->>'to' = $1",
      [student.user.email],
    );
    expect(emails).toHaveLength(1);
    expect(emails[0]!.payload.text).toContain(cert!.verification_url as string);
    expect(emails[0]!.payload.text).toContain(`/api/v1/certificates/${cert!.id as string}/download`);

    // The PDF reads correctly: name, course, instructor, number, verification URL.
    const res = await download(student, cert!.id as string);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/pdf');
    expect(res.headers.get('content-disposition')).toBe(
      `attachment; filename="${cert!.certificate_number as string}.pdf"`,
    );
    const text = await pdfText(new Uint8Array(await res.arrayBuffer()));
    expect(text).toContain('Certificate of Completion');
    expect(text).toContain('Zoë Ångström-Nuñez');
    expect(text).toContain('Žluťoučký kůň: Ελληνικά и Русский');
    expect(text).toContain(owner.user.fullName);
    expect(text).toContain(cert!.certificate_number as string);
    expect(text).toContain(cert!.verification_url as string);
    expect(await pdfKeys()).toContain(`certificates/${cert!.certificate_number as string}.pdf`);
  });

  it('exactly once: ten concurrent generates, the job delivered twice and racing them → one row, one PDF', async () => {
    const { id, student } = await enrollment({ studentName: 'Анна Каренина' });
    const before = await pdfKeys();
    const handler = t.app.get(IssueCertificateHandler);
    const results = await Promise.all([
      ...Array.from({ length: 10 }, () => generate(student, id)),
      handler.handle({ enrollment_id: id, student_id: student.user.id, course_id: NO_ID, completed_at: '' }),
      handler.handle({ enrollment_id: id, student_id: student.user.id, course_id: NO_ID, completed_at: '' }),
    ]);
    const responses = results.slice(0, 10) as JsonResponse[];
    expect(responses.map((r) => r.status)).toEqual(Array(10).fill(201));
    const ids = new Set(responses.map((r) => r.body.id));
    expect(ids.size).toBe(1);
    expect(await certificateRows(id)).toHaveLength(1);
    const added = (await pdfKeys()).filter((k) => !before.includes(k));
    expect(added).toEqual([`certificates/${responses[0]!.body.certificate_number as string}.pdf`]);
    const events = await t.db.query(
      "SELECT 1 FROM outbox_events WHERE event_type = 'certificate.issued' AND payload->>'enrollment_id' = $1",
      [id],
    );
    expect(events).toHaveLength(1);
  });

  it('a storage failure while storing the PDF leaves no row, no PDF, no event; a retry issues it', async () => {
    const { id, student } = await enrollment();
    const before = await pdfKeys();
    faulty().failPutAfterBytes = 100;
    const failed = await generate(student, id);
    expect(failed.status).toBe(500);
    expect(await certificateRows(id)).toHaveLength(0);
    expect(await pdfKeys()).toEqual(before);
    const [{ certificate_issued_at }] = await t.db.query<{ certificate_issued_at: Date | null }>(
      'SELECT certificate_issued_at FROM enrollments WHERE id = $1',
      [id],
    );
    expect(certificate_issued_at).toBeNull();
    faulty().failPutAfterBytes = undefined;
    expect((await generate(student, id)).status).toBe(201);
    expect(await certificateRows(id)).toHaveLength(1);
  });

  it('a database failure after the PDF was stored leaves no row and removes the PDF', async () => {
    const { id, student } = await enrollment({ title: 'db-failure course' });
    await t.db.query(`
      CREATE OR REPLACE FUNCTION fail_certificate_insert() RETURNS trigger AS $$
      BEGIN
        IF NEW.course_title = 'db-failure course' THEN RAISE EXCEPTION 'injected database failure'; END IF;
        RETURN NEW;
      END $$ LANGUAGE plpgsql`);
    await t.db.query(`CREATE TRIGGER fail_certificate_insert BEFORE INSERT ON certificates
      FOR EACH ROW EXECUTE FUNCTION fail_certificate_insert()`);
    try {
      const before = await pdfKeys();
      const puts = faulty().puts.length;
      const failed = await generate(student, id);
      expect(failed.status).toBe(500);
      expect(faulty().puts.length).toBe(puts + 1); // the PDF was stored, then the insert failed
      expect(await certificateRows(id)).toHaveLength(0);
      expect(await pdfKeys()).toEqual(before);
    } finally {
      await t.db.query('DROP TRIGGER fail_certificate_insert ON certificates');
    }
  });

  it('a PDF lost from storage is rendered again on download (same document) and stored back', async () => {
    const { id, student } = await enrollment({ studentName: 'Αλέξανδρος Παπαδόπουλος' });
    const cert = (await generate(student, id)).body;
    const first = Buffer.from(await (await download(student, cert.id as string)).arrayBuffer());
    const key = `certificates/${cert.certificate_number as string}.pdf`;
    await faulty().delete(key);
    expect(await pdfKeys()).not.toContain(key);
    const again = await download(student, cert.id as string);
    expect(again.status).toBe(200);
    const second = Buffer.from(await again.arrayBuffer());
    expect(await pdfText(second)).toContain('Αλέξανδρος Παπαδόπουλος');
    expect(second.equals(first)).toBe(true);
    expect(await pdfKeys()).toContain(key);
  });

  if (provider !== 'local') return; // The rest is storage-independent: once is enough.

  it('generate: the permission matrix, bad ids, an incomplete enrollment; idempotent 201 for each allowed caller', async () => {
    const { id, student } = await enrollment();
    const other = await makeUser('student');
    expect((await generate(undefined, id)).status).toBe(401);
    for (const who of [other, otherInstructor]) {
      const res = await generate(who, id);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({
        code: 'forbidden',
        detail: 'Not authorized to generate certificate for this enrollment',
      });
    }
    expect(await certificateRows(id)).toHaveLength(0);
    const bad = await generate(student, 'not-a-uuid');
    expect(bad.status).toBe(422);
    expect(bad.body).toMatchObject({ code: 'validation_failed' });
    const missing = await generate(admin, NO_ID);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatchObject({ detail: 'Enrollment not found' });

    const first = await generate(owner, id);
    expect(first.status).toBe(201);
    for (const who of [student, admin, owner]) {
      const again = await generate(who, id);
      expect(again.status).toBe(201);
      expect(again.body.id).toBe(first.body.id);
    }

    const incomplete = await enrollment({ completed: false });
    const res = await generate(incomplete.student, incomplete.id);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'enrollment_not_complete', detail: 'Enrollment is not complete yet' });
    expect(await certificateRows(incomplete.id)).toHaveLength(0);
  });

  it('download: admin and the student; instructor, other student 403; anonymous 401; unknown 404; bad id 422', async () => {
    const { id, student } = await enrollment();
    const cert = (await generate(student, id)).body;
    const other = await makeUser('student');
    expect((await download(admin, cert.id as string)).status).toBe(200);
    for (const who of [owner, other, otherInstructor]) {
      const res = await download(who, cert.id as string);
      expect(res.status).toBe(403);
      expect(await res.json()).toMatchObject({ detail: 'Not authorized to access this certificate' });
    }
    expect((await download(undefined, cert.id as string)).status).toBe(401);
    const missing = await download(admin, NO_ID);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ detail: 'Certificate not found' });
    expect((await download(admin, 'nope')).status).toBe(422);
  });

  it('verify and revoke: valid → revoked everywhere (verify, public lookup, my-certificates), download still allowed', async () => {
    const { id, student } = await enrollment();
    const cert = (await generate(student, id)).body;
    const number = cert.certificate_number as string;

    const valid = await callApi(t, 'GET', `/certificates/verify/${number}`);
    expect(valid).toMatchObject({
      status: 200,
      body: { valid: true, message: 'Certificate is valid', revoked_at: null },
    });
    expect((valid.body.certificate as Record<string, unknown>).id).toBe(cert.id);
    expect((await callApi(t, 'GET', `/certificates/public/verify/${cert.id as string}`)).status).toBe(200);
    const unknown = await callApi(t, 'GET', '/certificates/verify/CERT-19990101-000000');
    expect(unknown).toMatchObject({
      status: 200,
      body: { valid: false, certificate: null, message: 'Certificate not found', revoked_at: null },
    });

    // Only admins revoke.
    for (const who of [student, owner]) {
      const res = await callApi(t, 'POST', `/certificates/${cert.id as string}/revoke`, {}, who.token);
      expect(res.status).toBe(403);
      expect(res.body).toMatchObject({ detail: 'Only admins can revoke certificates' });
    }
    expect((await callApi(t, 'POST', `/certificates/${cert.id as string}/revoke`, {})).status).toBe(401);
    expect((await callApi(t, 'POST', `/certificates/${NO_ID}/revoke`, {}, admin.token)).status).toBe(404);
    expect((await callApi(t, 'POST', `/certificates/x/revoke`, {}, admin.token)).status).toBe(422);
    const tooLong = await callApi(
      t,
      'POST',
      `/certificates/${cert.id as string}/revoke`,
      { reason: 'x'.repeat(501) },
      admin.token,
    );
    expect(tooLong.status).toBe(422);
    const unknownField = await callApi(
      t,
      'POST',
      `/certificates/${cert.id as string}/revoke`,
      { why: 'x' },
      admin.token,
    );
    expect(unknownField.status).toBe(422);
    expect((await certificateRows(id))[0]).toMatchObject({ is_revoked: false });

    const revoked = await callApi(
      t,
      'POST',
      `/certificates/${cert.id as string}/revoke`,
      { reason: 'Academic misconduct' },
      admin.token,
    );
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ is_revoked: true, revocation_reason: 'Academic misconduct' });
    const again = await callApi(
      t,
      'POST',
      `/certificates/${cert.id as string}/revoke`,
      { reason: 'other' },
      admin.token,
    );
    expect(again.status).toBe(200);
    expect(again.body).toMatchObject({ revoked_at: revoked.body.revoked_at, revocation_reason: 'Academic misconduct' });
    const events = await t.db.query(
      "SELECT 1 FROM outbox_events WHERE event_type = 'certificate.revoked' AND payload->>'certificate_id' = $1",
      [cert.id],
    );
    expect(events).toHaveLength(1);

    const after = await callApi(t, 'GET', `/certificates/verify/${number}`);
    expect(after.body).toEqual({
      valid: false,
      certificate: null,
      message: 'Certificate has been revoked',
      revoked_at: revoked.body.revoked_at,
      revocation_reason: 'Academic misconduct',
    });
    const lookup = await callApi(t, 'GET', `/certificates/public/verify/${cert.id as string}`);
    expect(lookup).toMatchObject({ status: 404, body: { detail: 'Certificate not found or invalid' } });
    const mine = await callApi(t, 'GET', '/certificates/my-certificates', undefined, student.token);
    expect(mine.body).toEqual({ certificates: [], total: 0 });
    expect((await download(student, cert.id as string)).status).toBe(200);
  });

  it('course certificates: the manager and admins, paginated; other instructor and students 403; unknown 404', async () => {
    const a = await enrollment();
    const cert = (await generate(a.student, a.id)).body;
    const path = `/courses/${a.courseId}/certificates`;
    for (const who of [owner, admin]) {
      const res = await callApi(t, 'GET', `${path}?page=1&page_size=5`, undefined, who.token);
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ total: 1, page: 1, page_size: 5, total_pages: 1 });
      expect((res.body.items as Array<Record<string, unknown>>)[0]!.id).toBe(cert.id);
    }
    for (const who of [otherInstructor, a.student])
      expect((await callApi(t, 'GET', path, undefined, who.token)).status).toBe(403);
    expect((await callApi(t, 'GET', path)).status).toBe(401);
    expect((await callApi(t, 'GET', `/courses/${NO_ID}/certificates`, undefined, admin.token)).status).toBe(404);
    expect((await callApi(t, 'GET', `${path}?page_size=101`, undefined, owner.token)).status).toBe(422);
  });

  it('the Open Badges credential verifies against /.well-known/jwks.json, fails when tampered, and its status list shows revocation', async () => {
    const { id, student } = await enrollment({ studentName: 'Łukasz Żółć' });
    const cert = (await generate(student, id)).body;
    const path = `/certificates/${cert.id as string}/credential`;
    expect((await callApi(t, 'GET', path)).status).toBe(401);
    expect((await callApi(t, 'GET', path, undefined, owner.token)).status).toBe(403);
    const res = await callApi(t, 'GET', path, undefined, student.token);
    expect(res.status).toBe(200);
    const jwt = res.body.jwt as string;
    expect(decodeProtectedHeader(jwt)).toMatchObject({ alg: 'EdDSA', typ: 'vc+jwt' });

    const jwksRes = await t.request('/.well-known/jwks.json');
    expect(jwksRes.status).toBe(200);
    const jwks = (await jwksRes.json()) as { keys: Array<Record<string, unknown>> };
    expect(jwks.keys.length).toBeGreaterThan(0);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
    const keySet = createLocalJWKSet(jwks as Parameters<typeof createLocalJWKSet>[0]);
    const { payload } = await jwtVerify(jwt, keySet);
    const vc = payload as unknown as {
      type: string[];
      issuer: { id: string };
      credentialSubject: { achievement: { name: string } };
      credentialStatus: { statusListCredential: string; statusListIndex: string; statusPurpose: string };
    };
    expect(vc.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(vc.credentialSubject.achievement.name).toBe(cert.course_title);
    expect(vc.credentialStatus.statusPurpose).toBe('revocation');

    // Tampering (one character of the payload) breaks the signature.
    const [header, body, signature] = jwt.split('.');
    const flipped = `${header}.${body!.slice(0, 10)}${body![10] === 'A' ? 'B' : 'A'}${body!.slice(11)}.${signature}`;
    await expect(jwtVerify(flipped, keySet)).rejects.toThrow();

    // The issuer profile is served where the credential says.
    const issuer = await t.request(new URL(vc.issuer.id).pathname);
    expect(issuer.status).toBe(200);
    expect(await issuer.json()).toMatchObject({ id: vc.issuer.id, type: ['Profile'] });

    // Revocation shows in the signed status list.
    const statusBit = async (): Promise<boolean> => {
      const list = await t.request(new URL(vc.credentialStatus.statusListCredential).pathname);
      expect(list.status).toBe(200);
      expect(list.headers.get('content-type')).toMatch(/^application\/vc\+jwt/);
      const verified = await jwtVerify(await list.text(), keySet);
      const subject = (verified.payload as unknown as { credentialSubject: { encodedList: string } }).credentialSubject;
      const bits = decodeStatusList(subject.encodedList);
      const index = Number(vc.credentialStatus.statusListIndex);
      return ((bits[index >> 3]! >> (7 - (index & 7))) & 1) === 1;
    };
    expect(await statusBit()).toBe(false);
    expect((await callApi(t, 'POST', `/certificates/${cert.id as string}/revoke`, {}, admin.token)).status).toBe(200);
    expect(await statusBit()).toBe(true);
    // The revoked certificate's credential is still served (verifiers learn revocation from the list).
    expect((await callApi(t, 'GET', path, undefined, student.token)).status).toBe(200);

    expect((await t.request('/api/v1/certificates/status/x')).status).toBe(422);
    expect((await t.request('/api/v1/certificates/status/999')).status).toBe(404);
  });
});
