import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateCatalogAndEnrollments1795552702629 implements MigrationInterface {
  name = 'CreateCatalogAndEnrollments1795552702629';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "idempotency_keys" (
                "scope" character varying(64) NOT NULL,
                "route" character varying(255) NOT NULL,
                "key" character varying(255) NOT NULL,
                "request_hash" character varying(64) NOT NULL,
                "status_code" integer,
                "response_body" jsonb,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_67c50dd936290cdfa954a69d5b0" PRIMARY KEY ("scope", "route", "key")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_idempotency_keys_expires" ON "idempotency_keys" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "categories" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "slug" character varying(100) NOT NULL,
                "name" character varying(100) NOT NULL,
                "description" text,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_24dbc6126a28ff948da33e97d3b" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_categories_slug" ON "categories" ("slug")
        `);
    await queryRunner.query(`
            CREATE TABLE "courses" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "title" character varying(255) NOT NULL,
                "slug" character varying(255) NOT NULL,
                "description" text,
                "long_description" text,
                "instructor_id" uuid NOT NULL,
                "category_id" uuid,
                "difficulty_level" character varying(20),
                "is_published" boolean NOT NULL DEFAULT false,
                "published_at" TIMESTAMP WITH TIME ZONE,
                "thumbnail_url" character varying(2048),
                "estimated_duration_minutes" integer,
                "price" numeric(10, 2) NOT NULL DEFAULT '0',
                "currency" character varying(3) NOT NULL DEFAULT 'USD',
                "is_free" boolean NOT NULL DEFAULT true,
                "preview_video_url" character varying(2048),
                "requirements" jsonb NOT NULL DEFAULT '[]'::jsonb,
                "learning_objectives" jsonb NOT NULL DEFAULT '[]'::jsonb,
                "status" character varying(20),
                "metadata" jsonb NOT NULL DEFAULT '{}'::jsonb,
                "average_rating" numeric(3, 2) NOT NULL DEFAULT '0',
                "total_reviews" integer NOT NULL DEFAULT '0',
                "enrollment_count" integer NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "chk_courses_difficulty" CHECK (
                    difficulty_level IS NULL
                    OR difficulty_level IN ('beginner', 'intermediate', 'advanced')
                ),
                CONSTRAINT "PK_3f70a487cc718ad8eda4e6d58c9" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_courses_slug" ON "courses" ("slug")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_courses_category" ON "courses" ("category_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_courses_instructor_created" ON "courses" ("instructor_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_courses_published_created" ON "courses" ("is_published", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "lessons" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "course_id" uuid NOT NULL,
                "title" character varying(255) NOT NULL,
                "slug" character varying(255) NOT NULL,
                "description" text,
                "content" text,
                "lesson_type" character varying(20) NOT NULL,
                "order_index" integer NOT NULL,
                "parent_lesson_id" uuid,
                "duration_minutes" integer,
                "video_url" character varying(2048),
                "is_preview" boolean NOT NULL DEFAULT false,
                "metadata" jsonb NOT NULL DEFAULT '{}'::jsonb,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_lessons_course_order" UNIQUE ("course_id", "order_index"),
                CONSTRAINT "chk_lessons_type" CHECK (
                    lesson_type IN ('video', 'text', 'quiz', 'assignment')
                ),
                CONSTRAINT "PK_9b9a8d455cac672d262d7275730" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_lessons_parent" ON "lessons" ("parent_lesson_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "enrollments" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "student_id" uuid NOT NULL,
                "course_id" uuid NOT NULL,
                "enrolled_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "started_at" TIMESTAMP WITH TIME ZONE,
                "completed_at" TIMESTAMP WITH TIME ZONE,
                "status" character varying(20) NOT NULL DEFAULT 'active',
                "progress_percentage" numeric(5, 2) NOT NULL DEFAULT '0',
                "completed_lessons_count" integer NOT NULL DEFAULT '0',
                "total_lessons_count" integer NOT NULL DEFAULT '0',
                "total_time_spent_seconds" integer NOT NULL DEFAULT '0',
                "last_accessed_at" TIMESTAMP WITH TIME ZONE,
                "certificate_issued_at" TIMESTAMP WITH TIME ZONE,
                "rating" smallint,
                "review" text,
                "reviewed_at" TIMESTAMP WITH TIME ZONE,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_enrollments_student_course" UNIQUE ("student_id", "course_id"),
                CONSTRAINT "chk_enrollments_rating" CHECK (
                    rating IS NULL
                    OR rating BETWEEN 1 AND 5
                ),
                CONSTRAINT "chk_enrollments_status" CHECK (
                    status IN ('active', 'completed', 'dropped', 'expired')
                ),
                CONSTRAINT "PK_7c0f752f9fb68bf6ed7367ab00f" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_enrollments_course_enrolled" ON "enrollments" ("course_id", "enrolled_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_enrollments_student_enrolled" ON "enrollments" ("student_id", "enrolled_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "lesson_progress" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "enrollment_id" uuid NOT NULL,
                "lesson_id" uuid NOT NULL,
                "status" character varying(20) NOT NULL DEFAULT 'not_started',
                "started_at" TIMESTAMP WITH TIME ZONE,
                "completed_at" TIMESTAMP WITH TIME ZONE,
                "time_spent_seconds" integer NOT NULL DEFAULT '0',
                "last_position_seconds" integer NOT NULL DEFAULT '0',
                "completion_percentage" numeric(5, 2) NOT NULL DEFAULT '0',
                "notes" text,
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_lesson_progress_enrollment_lesson" UNIQUE ("enrollment_id", "lesson_id"),
                CONSTRAINT "chk_lesson_progress_status" CHECK (
                    status IN ('not_started', 'in_progress', 'completed')
                ),
                CONSTRAINT "PK_e6223ebbc5f8f5fce40e0193de1" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_lesson_progress_lesson" ON "lesson_progress" ("lesson_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "course_prerequisites" (
                "course_id" uuid NOT NULL,
                "prerequisite_course_id" uuid NOT NULL,
                CONSTRAINT "PK_ad5ea8f605a3f9dce29f540612f" PRIMARY KEY ("course_id", "prerequisite_course_id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_2caff7cd02b6e0bb6f87a7b7ac" ON "course_prerequisites" ("course_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_6a62e500916ac616079b7bc0b3" ON "course_prerequisites" ("prerequisite_course_id")
        `);
    await queryRunner.query(`
            ALTER TABLE "courses"
            ADD CONSTRAINT "FK_4fdc83dd6b261101401ec259342" FOREIGN KEY ("instructor_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "courses"
            ADD CONSTRAINT "FK_e4c260fe6bb1131707c4617f745" FOREIGN KEY ("category_id") REFERENCES "categories"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "lessons"
            ADD CONSTRAINT "FK_3c4e299cf8ed04093935e2e22fe" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "lessons"
            ADD CONSTRAINT "FK_3d0333ae87a52638515d6628485" FOREIGN KEY ("parent_lesson_id") REFERENCES "lessons"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "enrollments"
            ADD CONSTRAINT "FK_307813fe255896d6ebf3e6cd55c" FOREIGN KEY ("student_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "enrollments"
            ADD CONSTRAINT "FK_b79d0bf01779fdf9cfb6b092af3" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "lesson_progress"
            ADD CONSTRAINT "FK_2374c15822383f7e5362e27d417" FOREIGN KEY ("enrollment_id") REFERENCES "enrollments"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "lesson_progress"
            ADD CONSTRAINT "FK_980e74721039ebe210fee2eeca2" FOREIGN KEY ("lesson_id") REFERENCES "lessons"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "course_prerequisites"
            ADD CONSTRAINT "FK_2caff7cd02b6e0bb6f87a7b7ac4" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE CASCADE
        `);
    await queryRunner.query(`
            ALTER TABLE "course_prerequisites"
            ADD CONSTRAINT "FK_6a62e500916ac616079b7bc0b3f" FOREIGN KEY ("prerequisite_course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE CASCADE
        `);
    // Hand-written: case-insensitive substring search (ILIKE) on the catalog uses trigram indexes.
    // pg_trgm is a trusted extension (PostgreSQL 13+): the database owner can create it.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS pg_trgm`);
    await queryRunner.query(`CREATE INDEX "idx_courses_title_trgm" ON "courses" USING gin ("title" gin_trgm_ops)`);
    await queryRunner.query(
      `CREATE INDEX "idx_courses_description_trgm" ON "courses" USING gin ("description" gin_trgm_ops)`,
    );
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`DROP INDEX "public"."idx_courses_description_trgm"`);
    await queryRunner.query(`DROP INDEX "public"."idx_courses_title_trgm"`);
    await queryRunner.query(`
            ALTER TABLE "course_prerequisites" DROP CONSTRAINT "FK_6a62e500916ac616079b7bc0b3f"
        `);
    await queryRunner.query(`
            ALTER TABLE "course_prerequisites" DROP CONSTRAINT "FK_2caff7cd02b6e0bb6f87a7b7ac4"
        `);
    await queryRunner.query(`
            ALTER TABLE "lesson_progress" DROP CONSTRAINT "FK_980e74721039ebe210fee2eeca2"
        `);
    await queryRunner.query(`
            ALTER TABLE "lesson_progress" DROP CONSTRAINT "FK_2374c15822383f7e5362e27d417"
        `);
    await queryRunner.query(`
            ALTER TABLE "enrollments" DROP CONSTRAINT "FK_b79d0bf01779fdf9cfb6b092af3"
        `);
    await queryRunner.query(`
            ALTER TABLE "enrollments" DROP CONSTRAINT "FK_307813fe255896d6ebf3e6cd55c"
        `);
    await queryRunner.query(`
            ALTER TABLE "lessons" DROP CONSTRAINT "FK_3d0333ae87a52638515d6628485"
        `);
    await queryRunner.query(`
            ALTER TABLE "lessons" DROP CONSTRAINT "FK_3c4e299cf8ed04093935e2e22fe"
        `);
    await queryRunner.query(`
            ALTER TABLE "courses" DROP CONSTRAINT "FK_e4c260fe6bb1131707c4617f745"
        `);
    await queryRunner.query(`
            ALTER TABLE "courses" DROP CONSTRAINT "FK_4fdc83dd6b261101401ec259342"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_6a62e500916ac616079b7bc0b3"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_2caff7cd02b6e0bb6f87a7b7ac"
        `);
    await queryRunner.query(`
            DROP TABLE "course_prerequisites"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_lesson_progress_lesson"
        `);
    await queryRunner.query(`
            DROP TABLE "lesson_progress"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_enrollments_student_enrolled"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_enrollments_course_enrolled"
        `);
    await queryRunner.query(`
            DROP TABLE "enrollments"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_lessons_parent"
        `);
    await queryRunner.query(`
            DROP TABLE "lessons"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_courses_published_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_courses_instructor_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_courses_category"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_courses_slug"
        `);
    await queryRunner.query(`
            DROP TABLE "courses"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_categories_slug"
        `);
    await queryRunner.query(`
            DROP TABLE "categories"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_idempotency_keys_expires"
        `);
    await queryRunner.query(`
            DROP TABLE "idempotency_keys"
        `);
  }
}
