import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateQuizzes1795556191829 implements MigrationInterface {
  name = 'CreateQuizzes1795556191829';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "quizzes" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "course_id" uuid NOT NULL,
                "lesson_id" uuid NOT NULL,
                "title" character varying(255) NOT NULL,
                "description" text,
                "quiz_type" character varying(20) NOT NULL DEFAULT 'graded',
                "time_limit_minutes" integer,
                "passing_score" numeric(5, 2) NOT NULL DEFAULT '70',
                "max_attempts" integer,
                "shuffle_questions" boolean NOT NULL DEFAULT true,
                "shuffle_options" boolean NOT NULL DEFAULT true,
                "show_correct_answers" boolean NOT NULL DEFAULT true,
                "is_published" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_quizzes_lesson" UNIQUE ("lesson_id"),
                CONSTRAINT "chk_quizzes_max_attempts" CHECK (
                    max_attempts IS NULL
                    OR max_attempts >= 1
                ),
                CONSTRAINT "chk_quizzes_time_limit" CHECK (
                    time_limit_minutes IS NULL
                    OR time_limit_minutes >= 1
                ),
                CONSTRAINT "chk_quizzes_passing_score" CHECK (
                    passing_score BETWEEN 0 AND 100
                ),
                CONSTRAINT "chk_quizzes_type" CHECK (quiz_type IN ('practice', 'graded')),
                CONSTRAINT "PK_b24f0f7662cf6b3a0e7dba0a1b4" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_quizzes_course_created" ON "quizzes" ("course_id", "created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "quiz_attempts" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "quiz_id" uuid NOT NULL,
                "enrollment_id" uuid NOT NULL,
                "student_id" uuid NOT NULL,
                "attempt_number" integer NOT NULL,
                "status" character varying(20) NOT NULL DEFAULT 'in_progress',
                "started_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "deadline_at" TIMESTAMP WITH TIME ZONE,
                "submitted_at" TIMESTAMP WITH TIME ZONE,
                "graded_at" TIMESTAMP WITH TIME ZONE,
                "graded_by" uuid,
                "score" numeric(10, 2),
                "max_score" numeric(10, 2) NOT NULL,
                "percentage" numeric(5, 2),
                "is_passed" boolean,
                "time_taken_seconds" integer,
                "expired" boolean NOT NULL DEFAULT false,
                "answers" jsonb NOT NULL DEFAULT '[]',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_quiz_attempts_quiz_enrollment_number" UNIQUE ("quiz_id", "enrollment_id", "attempt_number"),
                CONSTRAINT "chk_quiz_attempts_number" CHECK (attempt_number >= 1),
                CONSTRAINT "chk_quiz_attempts_status" CHECK (status IN ('in_progress', 'submitted', 'graded')),
                CONSTRAINT "PK_a84a93fb092359516dc5b325b90" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_quiz_attempts_enrollment" ON "quiz_attempts" ("enrollment_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_quiz_attempts_quiz_status" ON "quiz_attempts" ("quiz_id", "status", "submitted_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_quiz_attempts_deadline" ON "quiz_attempts" ("deadline_at")
            WHERE status = 'in_progress'
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_quiz_attempts_one_in_progress" ON "quiz_attempts" ("quiz_id", "enrollment_id")
            WHERE status = 'in_progress'
        `);
    await queryRunner.query(`
            CREATE TABLE "quiz_questions" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "quiz_id" uuid NOT NULL,
                "question_text" text NOT NULL,
                "question_type" character varying(30) NOT NULL,
                "points" numeric(8, 2) NOT NULL DEFAULT '1',
                "order_index" integer NOT NULL,
                "explanation" text,
                "options" jsonb,
                "correct_answer" text,
                "metadata" jsonb NOT NULL DEFAULT '{}',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "uq_quiz_questions_quiz_order" UNIQUE ("quiz_id", "order_index") DEFERRABLE INITIALLY DEFERRED,
                CONSTRAINT "chk_quiz_questions_points" CHECK (points >= 0),
                CONSTRAINT "chk_quiz_questions_type" CHECK (
                    question_type IN (
                        'multiple_choice',
                        'multiple_response',
                        'true_false',
                        'short_answer',
                        'essay'
                    )
                ),
                CONSTRAINT "PK_ec0447fd30d9f5c182e7653bfd3" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "quizzes"
            ADD CONSTRAINT "FK_e460dcb813c2cc28c93c95f2504" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "quizzes"
            ADD CONSTRAINT "FK_2cf4e4b5b533af8dc6b38d4fa9b" FOREIGN KEY ("lesson_id") REFERENCES "lessons"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "quiz_attempts"
            ADD CONSTRAINT "FK_a720e260138b64fcff2fca19b2d" FOREIGN KEY ("quiz_id") REFERENCES "quizzes"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "quiz_attempts"
            ADD CONSTRAINT "FK_c905d903ab3d282fb4de7ea5d1a" FOREIGN KEY ("enrollment_id") REFERENCES "enrollments"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "quiz_attempts"
            ADD CONSTRAINT "FK_fcb54da39fa07acef996f75f32d" FOREIGN KEY ("student_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "quiz_questions"
            ADD CONSTRAINT "FK_14c6d2b8f5be0bdb406a3895bb4" FOREIGN KEY ("quiz_id") REFERENCES "quizzes"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "quiz_questions" DROP CONSTRAINT "FK_14c6d2b8f5be0bdb406a3895bb4"
        `);
    await queryRunner.query(`
            ALTER TABLE "quiz_attempts" DROP CONSTRAINT "FK_fcb54da39fa07acef996f75f32d"
        `);
    await queryRunner.query(`
            ALTER TABLE "quiz_attempts" DROP CONSTRAINT "FK_c905d903ab3d282fb4de7ea5d1a"
        `);
    await queryRunner.query(`
            ALTER TABLE "quiz_attempts" DROP CONSTRAINT "FK_a720e260138b64fcff2fca19b2d"
        `);
    await queryRunner.query(`
            ALTER TABLE "quizzes" DROP CONSTRAINT "FK_2cf4e4b5b533af8dc6b38d4fa9b"
        `);
    await queryRunner.query(`
            ALTER TABLE "quizzes" DROP CONSTRAINT "FK_e460dcb813c2cc28c93c95f2504"
        `);
    await queryRunner.query(`
            DROP TABLE "quiz_questions"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_quiz_attempts_one_in_progress"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_quiz_attempts_deadline"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_quiz_attempts_quiz_status"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_quiz_attempts_enrollment"
        `);
    await queryRunner.query(`
            DROP TABLE "quiz_attempts"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_quizzes_course_created"
        `);
    await queryRunner.query(`
            DROP TABLE "quizzes"
        `);
  }
}
