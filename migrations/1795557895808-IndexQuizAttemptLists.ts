import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IndexQuizAttemptLists1795557895808 implements MigrationInterface {
  name = 'IndexQuizAttemptLists1795557895808';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_quiz_attempts_quiz_status"
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_quiz_attempts_quiz_status_started" ON "quiz_attempts" ("quiz_id", "status", "started_at")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_quiz_attempts_quiz_started" ON "quiz_attempts" ("quiz_id", "started_at")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_quiz_attempts_quiz_started"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_quiz_attempts_quiz_status_started"
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_quiz_attempts_quiz_status" ON "quiz_attempts" USING btree ("quiz_id", "status", "submitted_at")
        `);
  }
}
