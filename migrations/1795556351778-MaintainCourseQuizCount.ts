import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * courses.total_quizzes = the course's published quizzes, kept by a trigger on quizzes so every
 * path counts: publish, unpublish, and deletes that cascade from lessons or courses. It adds the
 * change (+1/-1) under the course row's lock, so concurrent publishes in one course cannot lose
 * an update (a recount in a trigger would read a snapshot missing the other's uncommitted row).
 * Hand-written: TypeORM does not model triggers.
 */
export class MaintainCourseQuizCount1795556351778 implements MigrationInterface {
  name = 'MaintainCourseQuizCount1795556351778';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
      CREATE FUNCTION lms_course_quiz_count() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.is_published THEN
          UPDATE courses SET total_quizzes = total_quizzes - 1 WHERE id = OLD.course_id;
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND NEW.is_published THEN
          UPDATE courses SET total_quizzes = total_quizzes + 1 WHERE id = NEW.course_id;
        END IF;
        RETURN NULL;
      END
      $$
    `);
    await queryRunner.query(`
      CREATE TRIGGER trg_quizzes_course_count
      AFTER INSERT OR DELETE OR UPDATE OF is_published, course_id ON quizzes
      FOR EACH ROW EXECUTE FUNCTION lms_course_quiz_count()
    `);
    await queryRunner.query(`
      UPDATE courses c SET total_quizzes = (SELECT count(*) FROM quizzes q WHERE q.course_id = c.id AND q.is_published)
    `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query('DROP TRIGGER trg_quizzes_course_count ON quizzes');
    await queryRunner.query('DROP FUNCTION lms_course_quiz_count()');
  }
}
