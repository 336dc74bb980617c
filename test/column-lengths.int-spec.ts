import { ModulesContainer } from '@nestjs/core';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { DataSource } from 'typeorm';
import { codePointLength, isValidIdempotencyKey } from '#core';
import { createTestApp, type TestApp } from '#testing';

/**
 * Every varchar(n) column a client can write has a validator with the same unit (code points, as
 * PostgreSQL counts) and the same limit, on every DTO that writes it. Walks the DataSource's entity
 * metadata and maps each column to DTO fields by name through class-validator's metadata storage.
 */

/** The request DTOs that write each table (found among the controllers' handler parameter types). */
const WRITERS: Readonly<Record<string, readonly string[]>> = {
  users: ['RegisterDto', 'CreateUserDto', 'AdminUpdateUserDto', 'UpdateMeDto'],
  categories: ['CreateCategoryDto', 'UpdateCategoryDto'],
  courses: ['CreateCourseDto', 'UpdateCourseDto'],
  lessons: ['CreateLessonDto', 'UpdateLessonDto'],
  lesson_progress: ['UpdateLessonProgressDto'],
  quizzes: ['CreateQuizDto', 'UpdateQuizDto'],
  quiz_questions: ['CreateQuestionDto', 'UpdateQuestionDto'],
  certificates: ['RevokeCertificateDto'],
  webhook_endpoints: ['CreateWebhookDto', 'UpdateWebhookDto'],
};

/** DTO fields stored in a column of another name: table → field → column. */
const ALIASES: Readonly<Record<string, Readonly<Record<string, string>>>> = {
  lessons: { video_link: 'video_url' },
  certificates: { reason: 'revocation_reason' },
};

/** varchar columns no DTO writes, and what fills them. */
const SERVER_SET: Readonly<Record<string, string>> = {
  'users.password_hash': 'a bcrypt hash',
  'consumed_tokens.purpose': 'a token purpose constant',
  'mfa_recovery_codes.code_hash': 'a hash of a generated code',
  'enrollments.status': 'an enrollment state set by the service',
  'quiz_attempts.status': 'an attempt state set by the service',
  'idempotency_keys.scope': 'the caller id or "anonymous"',
  'idempotency_keys.route': 'the route template',
  'idempotency_keys.key': 'the Idempotency-Key header, checked by isValidIdempotencyKey (below)',
  'idempotency_keys.request_hash': 'a sha256 hex digest',
  'outbox_events.event_type': 'an event type constant',
  'processed_events.handler': 'a `<queue>.<jobName>` constant (outboxHandlerName)',
  'deployment_notices.key': 'a notice name constant',
  // Written from the multipart upload (no DTO): set or bounded by FilesService.
  'files.filename': '`<uuid>.<ext>`, the extension at most 16 characters',
  'files.original_filename': "the client's base name, cut to 255 code points by sanitizeOriginalName",
  'files.folder': 'checked by checkFolder: [A-Za-z0-9_-] segments, at most 255 characters',
  'files.storage_key': '`<folder>/<filename>`',
  'files.storage_provider': 'the provider constant',
  'files.file_type': 'a FILE_TYPES constant',
  'files.mime_type': 'from the extension map or file-type',
  // Certificates: the number and the names printed on it are set at issue (names cut to 500 code points).
  'certificates.certificate_number': 'CERT-YYYYMMDD-XXXXXX',
  'certificates.student_name': "the student's full_name (varchar 255), cut to 500 code points",
  'certificates.course_title': "the course's title (varchar 255), cut to 500 code points",
  'certificates.instructor_name': "the instructor's full_name (varchar 255), cut to 500 code points",
  'certificates.pdf_storage_key': '`<CERTIFICATES_DIR>/<number>.pdf`',
  // Webhooks: set by the service and the delivery engine.
  'webhook_endpoints.source': "'managed' or 'env'",
  'webhook_endpoints.disabled_reason': 'a fixed reason text',
  'webhook_deliveries.event_type': 'an event name from the catalogue',
  'webhook_deliveries.event_timestamp': 'an ISO-8601 timestamp',
  'webhook_deliveries.status': 'a delivery state set by the engine',
  'webhook_deliveries.last_error': 'an error code or message, cut to 500 characters',
  'webhook_delivery_attempts.error': 'an error code or message, cut to 500 characters',
  'analytics_counters.metric': 'a metric name constant (analytics triggers)',
};

const LENGTH_CONSTRAINTS = new Set(['maxLength', 'isLength']);

interface VarcharColumn {
  table: string;
  column: string;
  length: number;
}

/** Constraint names failing for `field` when the DTO is validated with only `{field: value}`. */
function failures(dto: new () => object, field: string, value: unknown): string[] {
  const errors: ValidationError[] = validateSync(plainToInstance(dto, { [field]: value }));
  return Object.keys(errors.find((e) => e.property === field)?.constraints ?? {});
}

describe('varchar columns and the DTOs that write them', () => {
  let t: TestApp;
  let columns: VarcharColumn[];
  const dtos = new Map<string, new () => object>();

  beforeAll(async () => {
    t = await createTestApp({ workers: false });
    columns = t.app
      .get(DataSource)
      .entityMetadatas.flatMap((entity) =>
        entity.columns
          .filter((c) => (c.type === 'varchar' || c.type === 'character varying') && c.length)
          .map((c) => ({ table: entity.tableName, column: c.databaseName, length: Number(c.length) })),
      );
    // Every class a route handler takes that carries class-validator metadata: the request DTOs.
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const wrapper of module.controllers.values()) {
        const proto = (wrapper.metatype as { prototype?: object } | null)?.prototype;
        if (!proto) continue;
        for (const method of Object.getOwnPropertyNames(proto)) {
          const types = (Reflect.getMetadata('design:paramtypes', proto, method) ?? []) as unknown[];
          for (const type of types) {
            if (typeof type !== 'function') continue;
            const cls = type as new () => object;
            if (getMetadataStorage().getTargetValidationMetadatas(cls, '', true, false).length > 0)
              dtos.set(cls.name, cls);
          }
        }
      }
    }
  }, 60_000);

  afterAll(async () => {
    await t?.close();
  });

  it('finds the varchar columns and every writer DTO', () => {
    expect(columns.length).toBeGreaterThan(20);
    const missing = Object.values(WRITERS)
      .flat()
      .filter((name) => !dtos.has(name));
    expect(missing).toEqual([]);
    const stale = Object.keys(SERVER_SET).filter((key) => !columns.some((c) => `${c.table}.${c.column}` === key));
    expect(stale).toEqual([]);
  });

  it('every client-written varchar(n) column is limited to n code points by each DTO field that writes it', () => {
    const problems: string[] = [];
    for (const { table, column, length } of columns) {
      const key = `${table}.${column}`;
      if (SERVER_SET[key]) continue;
      const writers = (WRITERS[table] ?? []).map((name) => dtos.get(name)).filter((d) => d !== undefined);
      const fields = [column, ...Object.entries(ALIASES[table] ?? {}).flatMap(([f, c]) => (c === column ? [f] : []))];
      let written = 0;
      for (const dto of writers) {
        const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
        for (const field of fields) {
          const rules = metadata.filter((m) => m.propertyName === field);
          if (rules.length === 0) continue;
          written += 1;
          const where = `${dto.name}.${field} → ${key} varchar(${length})`;
          const isIn = rules.find((m) => m.name === 'isIn');
          if (isIn) {
            const values = (isIn.constraints[0] ?? []) as unknown[];
            const tooLong = values.filter((v) => typeof v !== 'string' || codePointLength(v) > length);
            if (tooLong.length > 0) problems.push(`${where}: allowed values too long: ${tooLong.join(', ')}`);
            continue;
          }
          const limit = rules.find((m) => m.name !== undefined && LENGTH_CONSTRAINTS.has(m.name));
          const max = limit ? Number(limit.name === 'isLength' ? limit.constraints[1] : limit.constraints[0]) : NaN;
          if (max !== length) {
            problems.push(`${where}: declared maximum ${Number.isNaN(max) ? 'none' : max}`);
            continue;
          }
          // The unit: "❤️" is 2 code points (PostgreSQL) but 1 for class-validator's MaxLength;
          // "😀" is 1 code point but 2 UTF-16 units.
          const over = '❤️'.repeat(Math.floor(length / 2) + 1);
          if (!failures(dto, field, over).some((c) => LENGTH_CONSTRAINTS.has(c))) {
            problems.push(`${where}: accepts ${codePointLength(over)} code points`);
          }
          if (failures(dto, field, '😀'.repeat(length)).some((c) => LENGTH_CONSTRAINTS.has(c))) {
            problems.push(`${where}: refuses ${length} code points`);
          }
        }
      }
      if (written === 0)
        problems.push(`${key} varchar(${length}): no DTO writes it and it is not listed in SERVER_SET`);
    }
    expect(problems).toEqual([]);
  });

  it('the Idempotency-Key header fits idempotency_keys.key', () => {
    const key = columns.find((c) => c.table === 'idempotency_keys' && c.column === 'key');
    expect(key).toBeDefined();
    const length = key?.length ?? 0;
    expect(isValidIdempotencyKey('k'.repeat(length))).toBe(true);
    expect(isValidIdempotencyKey('k'.repeat(length + 1))).toBe(false);
  });
});
