import type { MigrationInterface, QueryRunner } from 'typeorm';

export class IndexCourseListIds1795558751174 implements MigrationInterface {
  name = 'IndexCourseListIds1795558751174';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_courses_published_created"
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_courses_published_created" ON "courses" ("is_published", "created_at", "id")
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."idx_courses_published_created"
        `);
    // Fixed by hand: the generator read the old index's columns in the wrong order.
    await queryRunner.query(`
            CREATE INDEX "idx_courses_published_created" ON "courses" ("is_published", "created_at")
        `);
  }
}
