import type { MigrationInterface, QueryRunner } from 'typeorm';

export class Certificates1796146283908 implements MigrationInterface {
  name = 'Certificates1796146283908';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "certificates" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "certificate_number" character varying(32) NOT NULL,
                "enrollment_id" uuid NOT NULL,
                "student_id" uuid NOT NULL,
                "course_id" uuid NOT NULL,
                "completion_date" TIMESTAMP WITH TIME ZONE NOT NULL,
                "issued_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "student_name" character varying(500) NOT NULL,
                "course_title" character varying(500) NOT NULL,
                "instructor_name" character varying(500) NOT NULL,
                "status_index" SERIAL NOT NULL,
                "pdf_storage_key" character varying(400) NOT NULL,
                "pdf_sha256" character(64) NOT NULL,
                "pdf_size" integer NOT NULL,
                "is_revoked" boolean NOT NULL DEFAULT false,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "revocation_reason" character varying(500),
                "revoked_by" uuid,
                CONSTRAINT "UQ_0387224f2281652909605da2940" UNIQUE ("certificate_number"),
                CONSTRAINT "UQ_84a591637195dc4cbc256ddd139" UNIQUE ("status_index"),
                CONSTRAINT "UQ_fc3c22df85a44f7b57b7bec869b" UNIQUE ("pdf_storage_key"),
                CONSTRAINT "REL_f0f3773b2ccb7811da9ccd63d9" UNIQUE ("enrollment_id"),
                CONSTRAINT "PK_e4c7e31e2144300bea7d89eb165" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_certificates_course_issued" ON "certificates" ("course_id", "issued_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_certificates_student_issued" ON "certificates" ("student_id", "issued_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates"
            ADD CONSTRAINT "FK_f0f3773b2ccb7811da9ccd63d94" FOREIGN KEY ("enrollment_id") REFERENCES "enrollments"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates"
            ADD CONSTRAINT "FK_5fc025803a5eb21001b77ed6b1a" FOREIGN KEY ("student_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates"
            ADD CONSTRAINT "FK_3b6a412073ea28153dc20a843b4" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates"
            ADD CONSTRAINT "FK_0b6b1b7830f5bd47f9769ef860c" FOREIGN KEY ("revoked_by") REFERENCES "users"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
    // The certificate_requests placeholder recorded completions until certificates existed: each
    // completed enrollment it holds is requested again through the outbox (certificate.requested →
    // certificates / issue-certificate), so it gets a real certificate, PDF and email the normal way.
    await queryRunner.query(`
            INSERT INTO "outbox_events" ("event_type", "payload")
            SELECT 'certificate.requested', jsonb_build_object(
                'enrollment_id', e."id", 'student_id', e."student_id", 'course_id', e."course_id",
                'completed_at', to_char(e."completed_at" AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
            FROM "certificate_requests" r
            JOIN "enrollments" e ON e."id" = r."enrollment_id"
            WHERE e."status" = 'completed' AND e."completed_at" IS NOT NULL
            ORDER BY r."requested_at"
        `);
    await queryRunner.query(`
            DROP TABLE "certificate_requests"
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "certificate_requests" (
                "enrollment_id" uuid NOT NULL,
                "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "requests" integer NOT NULL DEFAULT '1',
                CONSTRAINT "PK_47bd9d5a39e463c3c262ca86f1a" PRIMARY KEY ("enrollment_id")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "certificate_requests"
            ADD CONSTRAINT "FK_47bd9d5a39e463c3c262ca86f1a" FOREIGN KEY ("enrollment_id") REFERENCES "enrollments"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            INSERT INTO "certificate_requests" ("enrollment_id", "requested_at")
            SELECT "enrollment_id", "issued_at" FROM "certificates"
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates" DROP CONSTRAINT "FK_0b6b1b7830f5bd47f9769ef860c"
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates" DROP CONSTRAINT "FK_3b6a412073ea28153dc20a843b4"
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates" DROP CONSTRAINT "FK_5fc025803a5eb21001b77ed6b1a"
        `);
    await queryRunner.query(`
            ALTER TABLE "certificates" DROP CONSTRAINT "FK_f0f3773b2ccb7811da9ccd63d94"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_certificates_student_issued"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_certificates_course_issued"
        `);
    await queryRunner.query(`
            DROP TABLE "certificates"
        `);
  }
}
