import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddCourseTotalQuizzes1795556350778 implements MigrationInterface {
  name = 'AddCourseTotalQuizzes1795556350778';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "courses"
            ADD "total_quizzes" integer NOT NULL DEFAULT '0'
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "courses" DROP COLUMN "total_quizzes"
        `);
  }
}
