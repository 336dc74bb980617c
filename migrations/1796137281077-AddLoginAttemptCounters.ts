import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddLoginAttemptCounters1796137281077 implements MigrationInterface {
  name = 'AddLoginAttemptCounters1796137281077';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "login_attempt_counters" (
                "key" text NOT NULL,
                "failures" integer NOT NULL DEFAULT '0',
                "pending" integer NOT NULL DEFAULT '0',
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_21385188d31ae40f99ba0cd7d05" PRIMARY KEY ("key")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_login_attempt_counters_expires" ON "login_attempt_counters" ("expires_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_login_attempt_counters_expires"
        `);
    await queryRunner.query(`
            DROP TABLE "login_attempt_counters"
        `);
  }
}
