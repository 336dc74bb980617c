import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddDeploymentNotices1796137229185 implements MigrationInterface {
  name = 'AddDeploymentNotices1796137229185';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "deployment_notices" (
                "key" character varying(100) NOT NULL,
                "shown_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_955e8a23b4b79e608463352674a" PRIMARY KEY ("key")
            )
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP TABLE "deployment_notices"
        `);
  }
}
