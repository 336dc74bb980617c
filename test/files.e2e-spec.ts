import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { request as httpRequest } from 'node:http';
import { Readable } from 'node:stream';
import { FILE_STORAGE, FileJobsHandler, type FileStorage } from '#files';
import { createHash } from 'node:crypto';
import { callApi, createActor, ManualClock, type TestActor } from '#testing';
import { until } from './queue-test-utils.js';
import {
  GIFAR,
  HTML,
  JPEG,
  PDF,
  PNG,
  PNG_HTML_POLYGLOT,
  PROVIDERS,
  SVG,
  faultInjection,
  multipartBody,
  pngOfSize,
  startFilesApp,
  stopAzurite,
  upload,
  uploaded,
  type FilesHarness,
  type UploadSpec,
} from './files-fixtures.js';

const MiB = 1024 * 1024;
const KEY = /^uploads\/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.png$/;
const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const auth = (a: TestActor): Record<string, string> => ({ authorization: `Bearer ${a.token}` });

afterAll(async () => stopAzurite());

describe.each(PROVIDERS)('files on %s storage', (provider) => {
  let h: FilesHarness;
  let clock: ManualClock;
  let student: TestActor;
  const injection = faultInjection();
  const faulty = (): NonNullable<typeof injection.faults.storage> => {
    const storage = injection.faults.storage;
    if (!storage) throw new Error('the FileStorage fault module was not used');
    return storage;
  };

  beforeAll(async () => {
    clock = new ManualClock();
    h = await startFilesApp(provider, {
      clock,
      env: { MAX_UPLOAD_MB: '1' },
      extraModules: [injection.module],
    });
    student = await createActor(h.t, 'student', 'files');
  }, 60_000);
  afterAll(async () => h.close());

  /** Runs a refused upload and checks it left no row, no stored object and no outbox event. */
  async function refused(spec: UploadSpec, status: number, code: string, detail?: string): Promise<void> {
    const [rows, keys, events] = [await h.rowCount(), await h.storedKeys(), await h.eventCount()];
    const res = await upload(h.t, student.token, spec);
    expect({ status: res.status, code: res.body.code }).toEqual({ status, code });
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    if (detail !== undefined) expect(res.body.detail).toBe(detail);
    expect(await h.rowCount()).toBe(rows);
    expect(await h.storedKeys()).toEqual(keys);
    expect(await h.eventCount()).toBe(events);
    const outbox = await h.t.db.query('SELECT 1 FROM outbox_events WHERE event_type LIKE $1', ['file.%']);
    expect(outbox.length).toBe(events);
  }

  it('uploads a PNG: 201 FileResponse, stored as uploads/<uuid>.png, listed in my-files', async () => {
    const body = await uploaded(h.t, student.token, { name: 'Photo.PNG', bytes: PNG });
    expect(body).toEqual({
      id: expect.any(String),
      filename: `${String(body.id)}.png`,
      original_filename: 'Photo.PNG',
      file_url: `/api/v1/files/download/${String(body.id)}`,
      file_type: 'image',
      mime_type: 'image/png',
      file_size: PNG.length,
      storage_provider: provider,
      is_public: false,
      course_id: null,
      sha256: sha(PNG),
      created_at: expect.any(String),
    });
    expect(await h.storedKeys()).toContain(`uploads/${String(body.id)}.png`);
    const list = await callApi(h.t, 'GET', '/files/my-files', undefined, student.token);
    expect(list.status).toBe(200);
    expect((list.body.files as Array<{ id: string }>)[0]?.id).toBe(body.id);
  });

  it('keeps folder, is_public, PDF and JPEG classification', async () => {
    const pdf = await uploaded(h.t, student.token, {
      name: 'notes.pdf',
      bytes: PDF,
      fields: { folder: 'docs\\2026', is_public: 'true' },
    });
    expect(pdf).toMatchObject({ file_type: 'document', mime_type: 'application/pdf', is_public: true });
    expect(await h.storedKeys()).toContain(`docs/2026/${String(pdf.id)}.pdf`);
    const jpg = await uploaded(h.t, student.token, { name: 'p.jpeg', bytes: JPEG, fields: { folder: '' } });
    expect(jpg).toMatchObject({ file_type: 'image', mime_type: 'image/jpeg' });
    expect(await h.storedKeys()).toContain(`uploads/${String(jpg.id)}.jpeg`);
    const docs = await callApi(h.t, 'GET', '/files/my-files?file_type=document', undefined, student.token);
    expect((docs.body.files as Array<{ id: string }>).map((f) => f.id)).toEqual([pdf.id]);
    expect(docs.body.total).toBe(1);
  });

  describe('refused uploads leave no row, no object and no outbox event', () => {
    it('empty file', () =>
      refused({ name: 'a.png', bytes: Buffer.alloc(0) }, 400, 'empty_file', 'Uploaded file is empty'));
    it('one byte over MAX_UPLOAD_MB (aborted while streaming)', () =>
      refused(
        { name: 'big.png', bytes: pngOfSize(MiB + 1) },
        413,
        'file_too_large',
        'File too large. Max size is 1MB',
      ));
    it('a much larger upload is cut off, and the client still gets the 413', () =>
      refused({ name: 'huge.png', bytes: pngOfSize(20 * MiB) }, 413, 'file_too_large'));
    it('too large wins over a bad extension (reference order)', () =>
      refused({ name: 'big.exe', bytes: pngOfSize(MiB + 1) }, 413, 'file_too_large'));
    it('empty wins over a bad folder', () =>
      refused({ name: 'a.png', bytes: Buffer.alloc(0), fields: { folder: '../x' } }, 400, 'empty_file'));
    it.each([
      ['/etc', 'Invalid folder path'],
      ['a/../b', 'Invalid folder path'],
      ['..\\..\\x', 'Invalid folder path'],
      ['a b', 'Folder path contains unsupported characters'],
      ['a//b', 'Folder path contains unsupported characters'],
      ['é', 'Folder path contains unsupported characters'],
    ])('folder %j', (folder, detail) =>
      refused({ name: 'a.png', bytes: PNG, fields: { folder } }, 400, 'invalid_folder', detail),
    );
    it('folder rules come before the extension', () =>
      refused({ name: 'a.exe', bytes: PNG, fields: { folder: '/x' } }, 400, 'invalid_folder'));
    it.each([
      ['page.html', HTML, "File extension '.html' is not allowed"],
      ['logo.svg', SVG, "File extension '.svg' is not allowed"],
      ['noext', PNG, "File extension '' is not allowed"],
    ])('extension of %s', (name, bytes, detail) => refused({ name, bytes }, 400, 'extension_not_allowed', detail));
    it('PDF bytes named .png', () =>
      refused(
        { name: 'x.png', bytes: PDF },
        422,
        'file_content_mismatch',
        "File content does not match expected extension 'png'. Possible spoofing attempt.",
      ));
    it('text named .pdf (nothing detected)', () =>
      refused({ name: 'x.pdf', bytes: Buffer.from('hello') }, 422, 'file_content_mismatch'));
    it('a NUL byte in the file name', () => refused({ name: 'a\u0000.png', bytes: PNG }, 422, 'validation_failed'));
    it('no file part', () => refused({ fields: { folder: 'x' } }, 422, 'validation_failed'));
    it('an unknown field', () =>
      refused({ name: 'a.png', bytes: PNG, fields: { owner_id: 'x' } }, 422, 'validation_failed'));
    it('a field after the file', () =>
      refused({ name: 'a.png', bytes: PNG, fieldsAfter: { is_public: 'true' } }, 422, 'validation_failed'));
    it('a bad is_public or course_id', async () => {
      await refused({ name: 'a.png', bytes: PNG, fields: { is_public: 'maybe' } }, 422, 'validation_failed');
      await refused({ name: 'a.png', bytes: PNG, fields: { course_id: 'nope' } }, 422, 'validation_failed');
      await refused(
        { name: 'a.png', bytes: PNG, fields: { course_id: '00000000-0000-4000-8000-000000000000' } },
        404,
        'not_found',
      );
    });
    it('JSON instead of multipart', async () => {
      const res = await callApi(h.t, 'POST', '/files/upload', { file: 'x' }, student.token);
      expect(res.status).toBe(422);
    });

    // Polyglots: the rule reads magic numbers only, so the first format decides.
    it('a PNG/HTML polyglot named .html is refused by the extension allow-list', () =>
      refused({ name: 'page.html', bytes: PNG_HTML_POLYGLOT }, 400, 'extension_not_allowed'));
    it('a PNG/HTML polyglot named .txt (not allowed by default) or .pdf (a PNG was detected: mismatch)', async () => {
      await refused({ name: 'notes.txt', bytes: PNG_HTML_POLYGLOT }, 400, 'extension_not_allowed');
      await refused({ name: 'notes.pdf', bytes: PNG_HTML_POLYGLOT }, 422, 'file_content_mismatch');
    });
    it('a GIFAR (GIF header + JAR) named .docx or .png is a content mismatch (a GIF was detected)', async () => {
      await refused({ name: 'report.docx', bytes: GIFAR }, 422, 'file_content_mismatch');
      await refused({ name: 'image.png', bytes: GIFAR }, 422, 'file_content_mismatch');
    });

    it('a storage error in the middle of the stream: 500, nothing stored (no temporary data either)', async () => {
      faulty().failPutAfterBytes = 100 * 1024;
      try {
        await refused({ name: 'mid.png', bytes: pngOfSize(300 * 1024) }, 500, 'internal_error');
      } finally {
        faulty().failPutAfterBytes = undefined;
      }
    });

    it('a database failure after the bytes were written: 500, and the stored object is deleted', async () => {
      await h.t.db.query(`CREATE FUNCTION fail_file_insert() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.original_filename = 'db-fails.png' THEN RAISE EXCEPTION 'injected insert failure'; END IF;
          RETURN NEW;
        END $$`);
      await h.t.db.query(
        'CREATE TRIGGER fail_file_insert BEFORE INSERT ON files FOR EACH ROW EXECUTE FUNCTION fail_file_insert()',
      );
      try {
        const puts = faulty().puts.length;
        await refused({ name: 'db-fails.png', bytes: pngOfSize(200 * 1024) }, 500, 'internal_error');
        // The bytes had been written (the put completed) before the insert failed.
        const written = faulty().puts.slice(puts);
        expect(written).toHaveLength(1);
        expect(written[0]).toMatch(KEY);
        expect(await faulty().exists(written[0] ?? '')).toBe(false);
      } finally {
        await h.t.db.query('DROP TRIGGER fail_file_insert ON files');
        await h.t.db.query('DROP FUNCTION fail_file_insert()');
      }
    });

    it('a client that disconnects mid-upload', async () => {
      const [rows, keys] = [await h.rowCount(), await h.storedKeys()];
      const { body, contentType } = multipartBody({ name: 'cut.png', bytes: pngOfSize(512 * 1024) });
      const url = new URL(h.t.baseUrl);
      await new Promise<void>((resolve) => {
        const req = httpRequest({
          host: url.hostname,
          port: url.port,
          method: 'POST',
          path: '/api/v1/files/upload',
          headers: { 'content-type': contentType, 'content-length': body.length, ...auth(student) },
        });
        req.on('error', () => resolve());
        req.on('close', () => resolve());
        req.write(body.subarray(0, 200 * 1024), () => req.destroy());
      });
      // The server notices the abort, the put fails and removes its temporary data.
      await until('the aborted upload to be cleaned up', async () =>
        JSON.stringify(await h.storedKeys()) === JSON.stringify(keys) ? true : undefined,
      );
      expect(await h.rowCount()).toBe(rows);
    });
  });

  it('never uses the client name as a path: ../x.png, a%00.png, CON.png', async () => {
    for (const [name, kept] of [
      ['../x.png', 'x.png'],
      ['..\\..\\win.png', 'win.png'],
      ['a%00.png', 'a%00.png'],
      ['CON.png', 'CON.png'],
    ]) {
      const before = await h.storedKeys();
      const body = await uploaded(h.t, student.token, { name, bytes: PNG });
      expect(body.original_filename).toBe(kept);
      const added = (await h.storedKeys()).filter((k) => !before.includes(k));
      expect(added).toEqual([`uploads/${String(body.id)}.png`]);
      expect(added[0]).toMatch(KEY);
    }
  });

  it('downloads with attachment, nosniff, sandbox CSP and the stored type', async () => {
    const file = await uploaded(h.t, student.token, { name: 'Résumé final;.png', bytes: PNG });
    const res = await h.t.request(`/api/v1/files/download/${String(file.id)}`, {
      headers: auth(student),
      redirect: 'manual',
    });
    if (provider === 'local') {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-disposition')).toBe(
        `attachment; filename="R_sum_ final;.png"; filename*=UTF-8''R%C3%A9sum%C3%A9%20final%3B.png`,
      );
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
      expect(res.headers.get('etag')).toBe(`"${sha(PNG)}"`);
      expect(res.headers.get('accept-ranges')).toBe('bytes');
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG)).toBe(true);
    } else {
      expect(res.status).toBe(307);
      const location = res.headers.get('location') ?? '';
      expect(location).toContain('sig=');
      const blob = await fetch(location);
      expect(blob.status).toBe(200);
      expect(blob.headers.get('content-disposition')).toContain('attachment;');
      expect(blob.headers.get('content-type')).toBe('image/png');
      expect(Buffer.from(await blob.arrayBuffer()).equals(PNG)).toBe(true);
    }
  });

  it('signed URLs work without a token; expired, altered or another file’s are 403', async () => {
    const file = await uploaded(h.t, student.token, { name: 's.png', bytes: PNG });
    const other = await uploaded(h.t, student.token, { name: 'o.png', bytes: PNG });
    const signed = await callApi(
      h.t,
      'GET',
      `/files/${String(file.id)}/signed-url?expires_in=120`,
      undefined,
      student.token,
    );
    expect(signed.status).toBe(200);
    expect(new Date(String(signed.body.expires_at)).getTime()).toBe(
      Math.floor(clock.now().getTime() / 1000) * 1000 + 120_000,
    );
    const url = String(signed.body.url);
    const absolute = url.startsWith('/') ? `${h.t.baseUrl}${url}` : url;
    const ok = await fetch(absolute);
    expect(ok.status).toBe(200);
    expect(Buffer.from(await ok.arrayBuffer()).equals(PNG)).toBe(true);

    for (const expiresIn of ['59', '86401', 'x']) {
      const bad = await callApi(
        h.t,
        'GET',
        `/files/${String(file.id)}/signed-url?expires_in=${expiresIn}`,
        undefined,
        student.token,
      );
      expect(bad.status).toBe(422);
    }
    const dflt = await callApi(h.t, 'GET', `/files/${String(file.id)}/signed-url`, undefined, student.token);
    expect(new Date(String(dflt.body.expires_at)).getTime() - clock.now().getTime()).toBeGreaterThan(899_000);

    if (provider === 'local') {
      const u = new URL(absolute);
      const sig = u.searchParams.get('signature') ?? '';
      const tampered = new URL(absolute);
      tampered.searchParams.set('signature', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`);
      const longer = new URL(absolute);
      longer.searchParams.set('expires', String(Number(u.searchParams.get('expires')) + 3600));
      const otherFile = new URL(absolute.replace(String(file.id), String(other.id)));
      for (const bad of [tampered, longer, otherFile]) {
        const res = await fetch(bad);
        expect(res.status).toBe(403);
        expect(((await res.json()) as { code: string }).code).toBe('invalid_signature');
      }
      clock.advance(121_000);
      const expired = await fetch(absolute);
      expect(expired.status).toBe(403);
      expect(expired.headers.get('content-type')).toContain('application/problem+json');
      clock.advance(-121_000);
      const missing = await fetch(`${h.t.baseUrl}/api/v1/files/${String(file.id)}/content`);
      expect(missing.status).toBe(422);
    } else {
      const u = new URL(absolute);
      const sig = u.searchParams.get('sig') ?? '';
      u.searchParams.set('sig', `${sig.slice(0, 4)}${sig.slice(4, 5) === 'A' ? 'B' : 'A'}${sig.slice(5)}`);
      expect((await fetch(u)).status).toBe(403);
    }
  });

  it('ranges and ETags (authenticated and signed routes)', async () => {
    const bytes = pngOfSize(1000);
    const file = await uploaded(h.t, student.token, { name: 'r.png', bytes });
    const signed = await callApi(h.t, 'GET', `/files/${String(file.id)}/signed-url`, undefined, student.token);
    const signedUrl = String(signed.body.url);
    const routes: Array<{ url: string; headers: Record<string, string> }> = [
      { url: signedUrl.startsWith('/') ? `${h.t.baseUrl}${signedUrl}` : signedUrl, headers: {} },
    ];
    if (provider === 'local') {
      routes.push({ url: `${h.t.baseUrl}/api/v1/files/download/${String(file.id)}`, headers: auth(student) });
    }
    for (const { url, headers } of routes) {
      const get = (extra: Record<string, string>): Promise<Response> =>
        fetch(url, { headers: { ...headers, ...extra } });
      const first = await get({ range: 'bytes=0-9' });
      expect(first.status).toBe(206);
      expect(first.headers.get('content-range')).toBe('bytes 0-9/1000');
      expect(Buffer.from(await first.arrayBuffer()).equals(bytes.subarray(0, 10))).toBe(true);
      if (provider === 'local') {
        // (Azure Blob, behind the SAS URL, has no suffix ranges.)
        const suffix = await get({ range: 'bytes=-10' });
        expect(suffix.status).toBe(206);
        expect(suffix.headers.get('content-range')).toBe('bytes 990-999/1000');
        expect(Buffer.from(await suffix.arrayBuffer()).equals(bytes.subarray(990))).toBe(true);
      }
      const open = await get({ range: 'bytes=995-' });
      expect(open.status).toBe(206);
      expect(Buffer.from(await open.arrayBuffer()).equals(bytes.subarray(995))).toBe(true);
      // Azure answers through the SAS URL itself (Azurite's 416 has a malformed Content-Length).
      if (provider === 'local') {
        const outside = await get({ range: 'bytes=1000-1010' });
        expect(outside.status).toBe(416);
        expect(outside.headers.get('content-range')).toBe('bytes */1000');
        expect(outside.headers.get('content-type')).toContain('application/problem+json');
        await outside.arrayBuffer();
        const etag = `"${sha(bytes)}"`;
        const notModified = await get({ 'if-none-match': etag });
        expect(notModified.status).toBe(304);
        expect(notModified.headers.get('etag')).toBe(etag);
        const changed = await get({ 'if-none-match': '"other"' });
        expect(changed.status).toBe(200);
        await changed.arrayBuffer();
        // Several ranges: the whole file (the documented rule; RFC 9110 allows ignoring Range).
        const multi = await get({ range: 'bytes=0-1,5-9' });
        expect(multi.status).toBe(200);
        expect(multi.headers.get('content-range')).toBeNull();
        expect(multi.headers.get('content-type')).toBe('image/png');
        expect(Buffer.from(await multi.arrayBuffer()).equals(bytes)).toBe(true);
      }
    }
  });

  it('delete: 204, row and outbox event in one transaction, the job removes the bytes', async () => {
    const file = await uploaded(h.t, student.token, { name: 'd.png', bytes: PNG });
    const key = `uploads/${String(file.id)}.png`;
    expect(await h.storedKeys()).toContain(key);
    const events = await h.eventCount();
    const res = await callApi(h.t, 'DELETE', `/files/${String(file.id)}`, undefined, student.token);
    expect(res.status).toBe(204);
    expect(await h.eventCount()).toBe(events + 1);
    expect((await callApi(h.t, 'GET', `/files/download/${String(file.id)}`, undefined, student.token)).status).toBe(
      404,
    );
    await until('the delete-file-object job', async () => (!(await h.storedKeys()).includes(key) ? true : undefined));
    expect((await callApi(h.t, 'DELETE', `/files/${String(file.id)}`, undefined, student.token)).status).toBe(404);
  });

  it('the orphan sweep deletes unreferenced objects older than an hour, and nothing else', async () => {
    const storage = h.t.app.get<FileStorage>(FILE_STORAGE);
    const orphan = 'uploads/00000000-0000-4000-8000-0000000000aa.png';
    await storage.put(orphan, Readable.from([PNG]), { contentType: 'image/png' });
    const kept = await uploaded(h.t, student.token, { name: 'k.png', bytes: PNG });
    const sweeper = h.t.app.get(FileJobsHandler);
    // Young objects are never swept (an upload may be between put and insert).
    expect(await sweeper.sweepOrphans(clock.now())).toBe(0);
    expect(await h.storedKeys()).toContain(orphan);
    clock.advance(2 * 60 * 60 * 1000);
    try {
      expect(await sweeper.sweepOrphans()).toBeGreaterThanOrEqual(1);
    } finally {
      clock.advance(-2 * 60 * 60 * 1000);
    }
    const keys = await h.storedKeys();
    expect(keys).not.toContain(orphan);
    expect(keys).toContain(`uploads/${String(kept.id)}.png`);
    expect(await h.rowCount()).toBeGreaterThan(0);
    // Every row's object survived.
    const rows = await h.t.db.query<{ storage_key: string }>('SELECT storage_key FROM files');
    for (const { storage_key } of rows) expect(keys).toContain(storage_key);
  });

  it('a PNG/HTML polyglot named .png is stored as image/png and only ever served as an attachment', async () => {
    const file = await uploaded(h.t, student.token, { name: 'poly.png', bytes: PNG_HTML_POLYGLOT });
    expect(file).toMatchObject({ mime_type: 'image/png', file_type: 'image', file_size: PNG_HTML_POLYGLOT.length });
    if (provider === 'local') {
      const res = await h.t.request(`/api/v1/files/download/${String(file.id)}`, { headers: auth(student) });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('image/png');
      expect(res.headers.get('content-disposition')).toMatch(/^attachment;/);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('content-security-policy')).toBe('sandbox');
      expect(Buffer.from(await res.arrayBuffer()).equals(PNG_HTML_POLYGLOT)).toBe(true);
    }
  });

  describe('Idempotency-Key on uploads', () => {
    const idem = (key: string): Record<string, string> => ({ 'idempotency-key': key });
    const spec = (bytes: Buffer, fields: Record<string, string> = { folder: 'idem' }): UploadSpec => ({
      name: 'same.png',
      bytes,
      fields,
    });

    it('a retry with the same key, fields and file replays the 201 and stores nothing new', async () => {
      const key = `upload-${provider}-replay`;
      const bytes = pngOfSize(200 * 1024);
      const first = await upload(h.t, student.token, spec(bytes), idem(key));
      expect(first.status).toBe(201);
      expect(first.headers.get('idempotent-replayed')).toBeNull();
      const [rows, keys, events] = [await h.rowCount(), await h.storedKeys(), await h.eventCount()];
      const puts = faulty().puts.length;

      const again = await upload(h.t, student.token, spec(bytes), idem(key));
      expect(again.status).toBe(201);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.body).toEqual(first.body);
      // The retry's bytes were written while they were read, then deleted: no second row or object.
      expect(faulty().puts.length).toBe(puts + 1);
      expect(await h.rowCount()).toBe(rows);
      expect(await h.storedKeys()).toEqual(keys);
      expect(await h.eventCount()).toBe(events);
      const list = await callApi(h.t, 'GET', '/files/my-files', undefined, student.token);
      expect((list.body.files as Array<{ id: string }>).filter((f) => f.id === first.body.id)).toHaveLength(1);
    });

    it('the same key with another file, other fields or another name is 422 and stores nothing', async () => {
      const key = `upload-${provider}-reused`;
      const first = await upload(h.t, student.token, spec(pngOfSize(2000)), idem(key));
      expect(first.status).toBe(201);
      const [rows, keys, events] = [await h.rowCount(), await h.storedKeys(), await h.eventCount()];
      for (const other of [
        spec(pngOfSize(2001)),
        spec(Buffer.concat([pngOfSize(1999), Buffer.from('b')])),
        spec(pngOfSize(2000), { folder: 'idem', is_public: 'true' }),
        { ...spec(pngOfSize(2000)), name: 'other.png' },
      ]) {
        const res = await upload(h.t, student.token, other, idem(key));
        expect({ status: res.status, code: res.body.code }).toEqual({ status: 422, code: 'idempotency_key_reused' });
        expect(res.headers.get('idempotent-replayed')).toBeNull();
      }
      expect(await h.rowCount()).toBe(rows);
      expect(await h.storedKeys()).toEqual(keys);
      expect(await h.eventCount()).toBe(events);
      // The original still replays.
      const replay = await upload(h.t, student.token, spec(pngOfSize(2000)), idem(key));
      expect(replay.status).toBe(201);
      expect(replay.body.id).toBe(first.body.id);
    });

    it('a retry while the first upload is still streaming is 409; a failed first upload frees the key', async () => {
      const key = `upload-${provider}-concurrent`;
      const { body, contentType } = multipartBody(spec(pngOfSize(300 * 1024)));
      const url = new URL(h.t.baseUrl);
      const req = httpRequest({
        host: url.hostname,
        port: url.port,
        method: 'POST',
        path: '/api/v1/files/upload',
        headers: { 'content-type': contentType, 'content-length': body.length, ...auth(student), ...idem(key) },
      });
      const answered = new Promise<number>((resolve, reject) => {
        req.on('response', (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
      });
      req.write(body.subarray(0, 150 * 1024));
      // The key is reserved (running) before the body is read.
      await until('the key to be reserved', async () => {
        const rows = await h.t.db.query<{ status_code: number | null }>(
          'SELECT status_code FROM idempotency_keys WHERE key = $1',
          [key],
        );
        return rows.length === 1 && rows[0]?.status_code === null ? true : undefined;
      });
      const concurrent = await upload(h.t, student.token, spec(pngOfSize(300 * 1024)), idem(key));
      expect({ status: concurrent.status, code: concurrent.body.code }).toEqual({
        status: 409,
        code: 'idempotency_in_progress',
      });
      req.end(body.subarray(150 * 1024));
      expect(await answered).toBe(201);
      const replay = await upload(h.t, student.token, spec(pngOfSize(300 * 1024)), idem(key));
      expect(replay.status).toBe(201);
      expect(replay.headers.get('idempotent-replayed')).toBe('true');

      // A first upload that fails releases its key: the retry runs (and stores) for real.
      const failing = `upload-${provider}-failed-first`;
      faulty().failPutAfterBytes = 100 * 1024;
      try {
        expect((await upload(h.t, student.token, spec(pngOfSize(200 * 1024)), idem(failing))).status).toBe(500);
      } finally {
        faulty().failPutAfterBytes = undefined;
      }
      const retried = await upload(h.t, student.token, spec(pngOfSize(200 * 1024)), idem(failing));
      expect(retried.status).toBe(201);
      expect(retried.headers.get('idempotent-replayed')).toBeNull();
      expect(await h.storedKeys()).toContain(`idem/${String(retried.body.id)}.png`);
    });
  });

  it('the orphan sweep walks the whole store in pages: referenced objects do not hide a later orphan', async () => {
    const storage = h.t.app.get<FileStorage>(FILE_STORAGE);
    // Sorts after every uploads/<uuid> key.
    const orphan = 'uploads/ffffffff-ffff-4fff-8fff-ffffffffffff.png';
    const kept = [];
    for (let i = 0; i < 5; i++) kept.push(await uploaded(h.t, student.token, { name: `p${i}.png`, bytes: PNG }));
    await storage.put(orphan, Readable.from([PNG]), { contentType: 'image/png' });
    const referenced = (await h.t.db.query<{ storage_key: string }>('SELECT storage_key FROM files')).map(
      (r) => r.storage_key,
    );
    const pageSize = 2;
    expect(referenced.length).toBeGreaterThan(2 * pageSize);
    const sweeper = h.t.app.get(FileJobsHandler);
    clock.advance(2 * 60 * 60 * 1000);
    try {
      expect(await sweeper.sweepOrphans(clock.now(), pageSize)).toBeGreaterThanOrEqual(1);
    } finally {
      clock.advance(-2 * 60 * 60 * 1000);
    }
    const keys = await h.storedKeys();
    expect(keys).not.toContain(orphan);
    for (const key of referenced) expect(keys).toContain(key);
    for (const file of kept) expect(keys).toContain(`uploads/${String(file.id)}.png`);
  });
});
