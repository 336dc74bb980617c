import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * courses.total_lessons and courses.total_duration_minutes (the sum of the lessons' duration_minutes),
 * which LessonsService keeps with every lesson write, like enrollment_count. Generated, plus a
 * hand-written backfill from the existing lessons.
 */
export class AddCourseLessonTotals1796137213956 implements MigrationInterface {
  name = 'AddCourseLessonTotals1796137213956';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "courses"
            ADD "total_lessons" integer NOT NULL DEFAULT '0'
        `);
    await queryRunner.query(`
            ALTER TABLE "courses"
            ADD "total_duration_minutes" bigint NOT NULL DEFAULT '0'
        `);
    await queryRunner.query(`
            UPDATE courses c SET total_lessons = l.n, total_duration_minutes = l.minutes
            FROM (SELECT course_id, count(*)::int AS n, coalesce(sum(duration_minutes), 0) AS minutes
                  FROM lessons GROUP BY course_id) l
            WHERE l.course_id = c.id
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "courses" DROP COLUMN "total_duration_minutes"
        `);
    await queryRunner.query(`
            ALTER TABLE "courses" DROP COLUMN "total_lessons"
        `);
  }
}
