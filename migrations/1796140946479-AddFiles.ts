import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddFiles1796140946479 implements MigrationInterface {
  name = 'AddFiles1796140946479';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "files" (
                "id" uuid NOT NULL,
                "owner_id" uuid NOT NULL,
                "course_id" uuid,
                "filename" character varying(100) NOT NULL,
                "original_filename" character varying(255) NOT NULL,
                "folder" character varying(255) NOT NULL,
                "storage_key" character varying(400) NOT NULL,
                "storage_provider" character varying(20) NOT NULL,
                "file_type" character varying(20) NOT NULL,
                "mime_type" character varying(255) NOT NULL,
                "file_size" bigint NOT NULL,
                "sha256" character(64) NOT NULL,
                "is_public" boolean NOT NULL DEFAULT false,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "UQ_e916afbf2015d561fd0842ff898" UNIQUE ("storage_key"),
                CONSTRAINT "PK_6c16b9093a142e0e7613b04a3d9" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_files_course" ON "files" ("course_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_files_owner_created" ON "files" ("owner_id", "created_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "files"
            ADD CONSTRAINT "FK_4bc1db1f4f34ec9415acd88afdb" FOREIGN KEY ("owner_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "files"
            ADD CONSTRAINT "FK_61bae8b7a150a72d7edc32a0a4e" FOREIGN KEY ("course_id") REFERENCES "courses"("id") ON DELETE
            SET NULL ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "files" DROP CONSTRAINT "FK_61bae8b7a150a72d7edc32a0a4e"
        `);
    await queryRunner.query(`
            ALTER TABLE "files" DROP CONSTRAINT "FK_4bc1db1f4f34ec9415acd88afdb"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_files_owner_created"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_files_course"
        `);
    await queryRunner.query(`
            DROP TABLE "files"
        `);
  }
}
