import type { MigrationInterface, QueryRunner } from 'typeorm';

/** The shard of a source row (ANALYTICS_SHARDS = 8 in libs/analytics). */
const SHARD = (id: string): string => `(hashtext(${id}::text) & 7)::smallint`;

/**
 * Hand-written: TypeORM does not model triggers. Every trigger is statement-level with transition
 * tables: a statement's rows are summed per target row (old rows count -1, new rows +1; a change
 * that leaves a figure as it was writes nothing) and applied with one upsert whose rows are locked
 * in key order, so bulk writes cost one statement and concurrent writers take locks in one order.
 * Rows whose parent (course, lesson) is gone are skipped: the rollup rows go with the parent (FK cascade).
 */
const ANALYTICS_TRIGGERS_UP = [
  // The changed rows of the firing statement as (sign, row...): old rows -1, new rows +1.
  `CREATE FUNCTION lms_analytics_src(op text) RETURNS text LANGUAGE sql IMMUTABLE AS $$
     SELECT CASE op
       WHEN 'INSERT' THEN 'SELECT 1 AS sign, n.* FROM new_rows n'
       WHEN 'DELETE' THEN 'SELECT -1 AS sign, o.* FROM old_rows o'
       ELSE 'SELECT -1 AS sign, o.* FROM old_rows o UNION ALL SELECT 1 AS sign, n.* FROM new_rows n'
     END
   $$`,
  // The time-spent histogram's bucket: exact seconds below 10 min, 10 s below 1 h, 1 min below 1 day.
  `CREATE FUNCTION lms_analytics_time_bucket(s integer) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
     SELECT CASE WHEN s < 600 THEN greatest(s, 0) WHEN s < 3600 THEN s - s % 10
                 WHEN s < 86400 THEN s - s % 60 ELSE 86400 END
   $$`,
  `CREATE FUNCTION lms_analytics_counters_sql(deltas text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
   BEGIN
     RETURN format(
       'INSERT INTO analytics_counters AS t (metric, shard, value)
        SELECT metric, shard, sum(delta) FROM (%s) d GROUP BY metric, shard HAVING sum(delta) <> 0
        ORDER BY metric, shard
        ON CONFLICT (metric, shard) DO UPDATE SET value = t.value + EXCLUDED.value', deltas);
   END
   $$`,
  `CREATE FUNCTION lms_analytics_instructor_students_sql(deltas text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
   BEGIN
     RETURN format(
       'INSERT INTO analytics_instructor_students AS t (instructor_id, student_id, enrollments)
        SELECT instructor_id, student_id, sum(n) FROM (%s) d GROUP BY 1, 2 HAVING sum(n) <> 0 ORDER BY 1, 2
        ON CONFLICT (instructor_id, student_id) DO UPDATE SET enrollments = t.enrollments + EXCLUDED.enrollments',
       deltas);
   END
   $$`,
  `CREATE FUNCTION lms_analytics_enrollments() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE src text := lms_analytics_src(TG_OP);
   BEGIN
     EXECUTE lms_analytics_counters_sql(format(
       'SELECT v.metric, ${SHARD('r.id')} AS shard, v.delta FROM (%s) r
        CROSS JOIN LATERAL (VALUES (''enrollments_total'', r.sign),
          (''enrollments_active'', CASE WHEN r.status = ''active'' THEN r.sign ELSE 0 END)) v(metric, delta)', src));
     EXECUTE format(
       'INSERT INTO analytics_course_stats AS t (course_id, shard, enrollments, active, completed, progress_sum, time_seconds)
        SELECT r.course_id, ${SHARD('r.id')}, sum(r.sign),
          sum(CASE WHEN r.status = ''active'' THEN r.sign ELSE 0 END),
          sum(CASE WHEN r.status = ''completed'' THEN r.sign ELSE 0 END),
          sum(r.sign * r.progress_percentage), sum(r.sign * r.total_time_spent_seconds::bigint)
        FROM (%s) r WHERE EXISTS (SELECT 1 FROM courses c WHERE c.id = r.course_id)
        GROUP BY 1, 2
        HAVING sum(r.sign) <> 0 OR sum(CASE WHEN r.status = ''active'' THEN r.sign ELSE 0 END) <> 0
          OR sum(CASE WHEN r.status = ''completed'' THEN r.sign ELSE 0 END) <> 0
          OR sum(r.sign * r.progress_percentage) <> 0 OR sum(r.sign * r.total_time_spent_seconds::bigint) <> 0
        ORDER BY 1, 2
        ON CONFLICT (course_id, shard) DO UPDATE SET enrollments = t.enrollments + EXCLUDED.enrollments,
          active = t.active + EXCLUDED.active, completed = t.completed + EXCLUDED.completed,
          progress_sum = t.progress_sum + EXCLUDED.progress_sum, time_seconds = t.time_seconds + EXCLUDED.time_seconds',
       src);
     EXECUTE format(
       'INSERT INTO analytics_course_daily AS t (course_id, day, enrollments, completions)
        SELECT course_id, day, sum(e), sum(c) FROM (
          SELECT r.course_id, (r.enrolled_at AT TIME ZONE ''UTC'')::date AS day, r.sign AS e, 0 AS c FROM (%1$s) r
          UNION ALL
          SELECT r.course_id, (r.completed_at AT TIME ZONE ''UTC'')::date, 0, r.sign FROM (%1$s) r
          WHERE r.status = ''completed'' AND r.completed_at IS NOT NULL) d
        WHERE EXISTS (SELECT 1 FROM courses c WHERE c.id = d.course_id)
        GROUP BY 1, 2 HAVING sum(e) <> 0 OR sum(c) <> 0 ORDER BY 1, 2
        ON CONFLICT (course_id, day) DO UPDATE SET enrollments = t.enrollments + EXCLUDED.enrollments,
          completions = t.completions + EXCLUDED.completions',
       src);
     -- A course being deleted is gone here: its enrollments were subtracted by the course's BEFORE DELETE trigger.
     EXECUTE lms_analytics_instructor_students_sql(format(
       'SELECT c.instructor_id, r.student_id, r.sign AS n FROM (%s) r JOIN courses c ON c.id = r.course_id', src));
     DELETE FROM analytics_instructor_students WHERE enrollments <= 0;
     RETURN NULL;
   END
   $$`,
  `CREATE FUNCTION lms_analytics_users() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     EXECUTE lms_analytics_counters_sql(format(
       'SELECT v.metric, ${SHARD('r.id')} AS shard, v.delta FROM (%s) r
        CROSS JOIN LATERAL (VALUES (''users_total'', r.sign),
          (''users_student'', CASE WHEN r.role = ''student'' THEN r.sign ELSE 0 END),
          (''users_instructor'', CASE WHEN r.role = ''instructor'' THEN r.sign ELSE 0 END)) v(metric, delta)',
       lms_analytics_src(TG_OP)));
     RETURN NULL;
   END
   $$`,
  `CREATE FUNCTION lms_analytics_courses() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     EXECUTE lms_analytics_counters_sql(format(
       'SELECT v.metric, ${SHARD('r.id')} AS shard, v.delta FROM (%s) r
        CROSS JOIN LATERAL (VALUES (''courses_total'', r.sign),
          (''courses_published'', CASE WHEN r.is_published THEN r.sign ELSE 0 END)) v(metric, delta)',
       lms_analytics_src(TG_OP)));
     IF TG_OP = 'UPDATE' THEN
       -- A course that changes hands moves its students from the old instructor to the new one.
       EXECUTE lms_analytics_instructor_students_sql(
         'SELECT o.instructor_id, e.student_id, -1 AS n FROM old_rows o JOIN new_rows nw ON nw.id = o.id
            JOIN enrollments e ON e.course_id = o.id WHERE nw.instructor_id <> o.instructor_id
          UNION ALL
          SELECT nw.instructor_id, e.student_id, 1 FROM old_rows o JOIN new_rows nw ON nw.id = o.id
            JOIN enrollments e ON e.course_id = o.id WHERE nw.instructor_id <> o.instructor_id');
     DELETE FROM analytics_instructor_students WHERE enrollments <= 0;
     END IF;
     RETURN NULL;
   END
   $$`,
  // Row-level, before the row goes: its enrollments (deleted by the cascade after it) still exist here.
  `CREATE FUNCTION lms_analytics_course_deleting() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     EXECUTE lms_analytics_instructor_students_sql(format(
       'SELECT %L::uuid AS instructor_id, e.student_id, -1 AS n FROM enrollments e WHERE e.course_id = %L::uuid',
       OLD.instructor_id, OLD.id));
     DELETE FROM analytics_instructor_students WHERE enrollments <= 0;
     RETURN OLD;
   END
   $$`,
  `CREATE FUNCTION lms_analytics_lesson_progress() RETURNS trigger LANGUAGE plpgsql AS $$
   DECLARE src text := lms_analytics_src(TG_OP);
   BEGIN
     EXECUTE format(
       'INSERT INTO analytics_lesson_stats AS t (lesson_id, shard, started, completed)
        SELECT r.lesson_id, ${SHARD('r.id')},
          sum(CASE WHEN r.status IN (''in_progress'', ''completed'') THEN r.sign ELSE 0 END),
          sum(CASE WHEN r.status = ''completed'' THEN r.sign ELSE 0 END)
        FROM (%s) r WHERE EXISTS (SELECT 1 FROM lessons l WHERE l.id = r.lesson_id)
        GROUP BY 1, 2
        HAVING sum(CASE WHEN r.status IN (''in_progress'', ''completed'') THEN r.sign ELSE 0 END) <> 0
          OR sum(CASE WHEN r.status = ''completed'' THEN r.sign ELSE 0 END) <> 0
        ORDER BY 1, 2
        ON CONFLICT (lesson_id, shard) DO UPDATE SET started = t.started + EXCLUDED.started,
          completed = t.completed + EXCLUDED.completed',
       src);
     EXECUTE format(
       'INSERT INTO analytics_lesson_time AS t (lesson_id, seconds, students)
        SELECT r.lesson_id, lms_analytics_time_bucket(r.time_spent_seconds), sum(r.sign)
        FROM (%s) r WHERE r.status IN (''in_progress'', ''completed'')
          AND EXISTS (SELECT 1 FROM lessons l WHERE l.id = r.lesson_id)
        GROUP BY 1, 2 HAVING sum(r.sign) <> 0 ORDER BY 1, 2
        ON CONFLICT (lesson_id, seconds) DO UPDATE SET students = t.students + EXCLUDED.students',
       src);
     RETURN NULL;
   END
   $$`,
  `CREATE FUNCTION lms_analytics_quiz_attempts() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     EXECUTE format(
       'INSERT INTO analytics_course_daily AS t (course_id, day, quiz_submissions)
        SELECT q.course_id, (r.submitted_at AT TIME ZONE ''UTC'')::date, sum(r.sign)
        FROM (%s) r JOIN quizzes q ON q.id = r.quiz_id
        WHERE r.submitted_at IS NOT NULL AND r.status IN (''submitted'', ''graded'')
          AND EXISTS (SELECT 1 FROM courses c WHERE c.id = q.course_id)
        GROUP BY 1, 2 HAVING sum(r.sign) <> 0 ORDER BY 1, 2
        ON CONFLICT (course_id, day) DO UPDATE SET quiz_submissions = t.quiz_submissions + EXCLUDED.quiz_submissions',
       lms_analytics_src(TG_OP));
     RETURN NULL;
   END
   $$`,
  // Recomputes every rollup from the source tables (backfill; after a TRUNCATE of a source table).
  `CREATE FUNCTION lms_analytics_rebuild() RETURNS void LANGUAGE plpgsql AS $$
   BEGIN
     DELETE FROM analytics_counters;
     DELETE FROM analytics_course_stats;
     DELETE FROM analytics_course_daily;
     DELETE FROM analytics_instructor_students;
     DELETE FROM analytics_lesson_stats;
     DELETE FROM analytics_lesson_time;
     INSERT INTO analytics_counters (metric, shard, value)
     SELECT metric, shard, sum(delta) FROM (
       SELECT v.metric, ${SHARD('u.id')} AS shard, v.delta FROM users u
       CROSS JOIN LATERAL (VALUES ('users_total', 1), ('users_student', CASE WHEN u.role = 'student' THEN 1 ELSE 0 END),
         ('users_instructor', CASE WHEN u.role = 'instructor' THEN 1 ELSE 0 END)) v(metric, delta)
       UNION ALL
       SELECT v.metric, ${SHARD('c.id')}, v.delta FROM courses c
       CROSS JOIN LATERAL (VALUES ('courses_total', 1), ('courses_published', CASE WHEN c.is_published THEN 1 ELSE 0 END))
         v(metric, delta)
       UNION ALL
       SELECT v.metric, ${SHARD('e.id')}, v.delta FROM enrollments e
       CROSS JOIN LATERAL (VALUES ('enrollments_total', 1),
         ('enrollments_active', CASE WHEN e.status = 'active' THEN 1 ELSE 0 END)) v(metric, delta)
     ) d GROUP BY 1, 2;
     INSERT INTO analytics_course_stats (course_id, shard, enrollments, active, completed, progress_sum, time_seconds)
     SELECT e.course_id, ${SHARD('e.id')}, count(*), count(*) FILTER (WHERE e.status = 'active'),
       count(*) FILTER (WHERE e.status = 'completed'), sum(e.progress_percentage), sum(e.total_time_spent_seconds::bigint)
     FROM enrollments e GROUP BY 1, 2;
     INSERT INTO analytics_course_daily (course_id, day, enrollments, completions, quiz_submissions)
     SELECT course_id, day, sum(e), sum(c), sum(q) FROM (
       SELECT course_id, (enrolled_at AT TIME ZONE 'UTC')::date AS day, 1 AS e, 0 AS c, 0 AS q FROM enrollments
       UNION ALL
       SELECT course_id, (completed_at AT TIME ZONE 'UTC')::date, 0, 1, 0 FROM enrollments
       WHERE status = 'completed' AND completed_at IS NOT NULL
       UNION ALL
       SELECT q.course_id, (a.submitted_at AT TIME ZONE 'UTC')::date, 0, 0, 1 FROM quiz_attempts a
       JOIN quizzes q ON q.id = a.quiz_id WHERE a.submitted_at IS NOT NULL AND a.status IN ('submitted', 'graded')
     ) d GROUP BY 1, 2;
     INSERT INTO analytics_instructor_students (instructor_id, student_id, enrollments)
     SELECT c.instructor_id, e.student_id, count(*) FROM enrollments e JOIN courses c ON c.id = e.course_id GROUP BY 1, 2;
     INSERT INTO analytics_lesson_stats (lesson_id, shard, started, completed)
     SELECT p.lesson_id, ${SHARD('p.id')}, count(*) FILTER (WHERE p.status IN ('in_progress', 'completed')),
       count(*) FILTER (WHERE p.status = 'completed')
     FROM lesson_progress p GROUP BY 1, 2;
     INSERT INTO analytics_lesson_time (lesson_id, seconds, students)
     SELECT p.lesson_id, lms_analytics_time_bucket(p.time_spent_seconds), count(*) FROM lesson_progress p
     WHERE p.status IN ('in_progress', 'completed') GROUP BY 1, 2;
   END
   $$`,
  `CREATE FUNCTION lms_analytics_truncated() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN
     PERFORM lms_analytics_rebuild();
     RETURN NULL;
   END
   $$`,
  ...(
    [
      ['enrollments', 'lms_analytics_enrollments'],
      ['users', 'lms_analytics_users'],
      ['courses', 'lms_analytics_courses'],
      ['lesson_progress', 'lms_analytics_lesson_progress'],
      ['quiz_attempts', 'lms_analytics_quiz_attempts'],
    ] as const
  ).flatMap(([table, fn]) => [
    `CREATE TRIGGER trg_${table}_analytics_ins AFTER INSERT ON ${table}
       REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    `CREATE TRIGGER trg_${table}_analytics_upd AFTER UPDATE ON ${table}
       REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    `CREATE TRIGGER trg_${table}_analytics_del AFTER DELETE ON ${table}
       REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION ${fn}()`,
    `CREATE TRIGGER trg_${table}_analytics_trunc AFTER TRUNCATE ON ${table}
       FOR EACH STATEMENT EXECUTE FUNCTION lms_analytics_truncated()`,
  ]),
  `CREATE TRIGGER trg_courses_analytics_deleting BEFORE DELETE ON courses
     FOR EACH ROW EXECUTE FUNCTION lms_analytics_course_deleting()`,
];

/** Version 1 of each function, by name (AnalyticsStaticTriggers' down() restores them). */
export const ANALYTICS_TRIGGER_FUNCTIONS_V1: Record<string, string> = Object.fromEntries(
  ANALYTICS_TRIGGERS_UP.flatMap((sql) => {
    const m = /^CREATE FUNCTION (\w+)\(/.exec(sql);
    return m ? [[m[1], sql]] : [];
  }),
);

const ANALYTICS_TRIGGERS_DOWN = [
  'DROP TRIGGER trg_courses_analytics_deleting ON courses',
  ...['enrollments', 'users', 'courses', 'lesson_progress', 'quiz_attempts'].flatMap((table) =>
    ['ins', 'upd', 'del', 'trunc'].map((op) => `DROP TRIGGER trg_${table}_analytics_${op} ON ${table}`),
  ),
  ...[
    'lms_analytics_truncated()',
    'lms_analytics_rebuild()',
    'lms_analytics_quiz_attempts()',
    'lms_analytics_lesson_progress()',
    'lms_analytics_course_deleting()',
    'lms_analytics_courses()',
    'lms_analytics_users()',
    'lms_analytics_enrollments()',
    'lms_analytics_instructor_students_sql(text)',
    'lms_analytics_counters_sql(text)',
    'lms_analytics_time_bucket(integer)',
    'lms_analytics_src(text)',
  ].map((fn) => `DROP FUNCTION ${fn}`),
];

/**
 * The analytics read models (libs/analytics): tables generated from the entities, then (by hand)
 * the statement-level triggers that keep them current in the writing transaction, the rebuild
 * function, and the backfill of existing rows.
 */
export class AnalyticsRollups1796148423296 implements MigrationInterface {
  name = 'AnalyticsRollups1796148423296';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "analytics_counters" (
                "metric" character varying(40) NOT NULL,
                "shard" smallint NOT NULL,
                "value" bigint NOT NULL DEFAULT '0',
                CONSTRAINT "PK_e8233b93ce184a0b43ced5f9ea8" PRIMARY KEY ("metric", "shard")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_course_stats" (
                "course_id" uuid NOT NULL,
                "shard" smallint NOT NULL,
                "enrollments" integer NOT NULL DEFAULT '0',
                "active" integer NOT NULL DEFAULT '0',
                "completed" integer NOT NULL DEFAULT '0',
                "progress_sum" numeric(14, 2) NOT NULL DEFAULT '0',
                "time_seconds" bigint NOT NULL DEFAULT '0',
                CONSTRAINT "PK_ae3c424acd100cf3104d4edd65b" PRIMARY KEY ("course_id", "shard")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_course_daily" (
                "course_id" uuid NOT NULL,
                "day" date NOT NULL,
                "enrollments" integer NOT NULL DEFAULT '0',
                "completions" integer NOT NULL DEFAULT '0',
                "quiz_submissions" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_d30559c38d41343b9d4e10a7251" PRIMARY KEY ("course_id", "day")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_instructor_students" (
                "instructor_id" uuid NOT NULL,
                "student_id" uuid NOT NULL,
                "enrollments" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_dc22aebc91c0dc93bb9a45e0217" PRIMARY KEY ("instructor_id", "student_id")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_lesson_stats" (
                "lesson_id" uuid NOT NULL,
                "shard" smallint NOT NULL,
                "started" integer NOT NULL DEFAULT '0',
                "completed" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_959b2417f6b612dcafeaaaf9546" PRIMARY KEY ("lesson_id", "shard")
            )
        `);
    await queryRunner.query(`
            CREATE TABLE "analytics_lesson_time" (
                "lesson_id" uuid NOT NULL,
                "seconds" integer NOT NULL,
                "students" integer NOT NULL DEFAULT '0',
                CONSTRAINT "PK_bc8b0aec147f6bb60fce92507ca" PRIMARY KEY ("lesson_id", "seconds")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "analytics_course_stats"
            ADD CONSTRAINT "FK_14a9909d48fe1c56d0cd4851ba5" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "analytics_course_daily"
            ADD CONSTRAINT "FK_09bbeb1518fc69c31400c998967" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "analytics_lesson_stats"
            ADD CONSTRAINT "FK_96f6504535d72f96996991890d6" FOREIGN KEY ("lesson_id") REFERENCES "lessons"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "analytics_lesson_time"
            ADD CONSTRAINT "FK_438d6e58162083b4c399dcc57a5" FOREIGN KEY ("lesson_id") REFERENCES "lessons"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_analytics_instructor_students_empty" ON "analytics_instructor_students" ("instructor_id")
            WHERE enrollments <= 0
        `);
    for (const sql of ANALYTICS_TRIGGERS_UP) await queryRunner.query(sql);
    // Backfill: every rollup from the rows that exist now.
    await queryRunner.query('SELECT lms_analytics_rebuild()');
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    for (const sql of ANALYTICS_TRIGGERS_DOWN) await queryRunner.query(sql);
    await queryRunner.query('DROP INDEX "idx_analytics_instructor_students_empty"');
    await queryRunner.query(`
            ALTER TABLE "analytics_lesson_time" DROP CONSTRAINT "FK_438d6e58162083b4c399dcc57a5"
        `);
    await queryRunner.query(`
            ALTER TABLE "analytics_lesson_stats" DROP CONSTRAINT "FK_96f6504535d72f96996991890d6"
        `);
    await queryRunner.query(`
            ALTER TABLE "analytics_course_daily" DROP CONSTRAINT "FK_09bbeb1518fc69c31400c998967"
        `);
    await queryRunner.query(`
            ALTER TABLE "analytics_course_stats" DROP CONSTRAINT "FK_14a9909d48fe1c56d0cd4851ba5"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_lesson_time"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_lesson_stats"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_instructor_students"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_course_daily"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_course_stats"
        `);
    await queryRunner.query(`
            DROP TABLE "analytics_counters"
        `);
  }
}
