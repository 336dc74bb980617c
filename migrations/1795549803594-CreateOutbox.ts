import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateOutbox1795549803594 implements MigrationInterface {
  name = 'CreateOutbox1795549803594';

  public async up(queryRunner: QueryRunner): Promise<void> {
    // Added by hand: uuid_generate_v4() needs it, and the migration may run before any DataSource with
    // entities has connected (TypeORM only installs it then), e.g. on the test template database.
    await queryRunner.query(`CREATE EXTENSION IF NOT EXISTS "uuid-ossp"`);
    await queryRunner.query(`
            CREATE TABLE "outbox_events" (
                "id" uuid NOT NULL DEFAULT uuid_generate_v4(),
                "event_type" character varying(100) NOT NULL,
                "payload" jsonb NOT NULL,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "published_at" TIMESTAMP WITH TIME ZONE,
                "attempts" integer NOT NULL DEFAULT '0',
                "last_error" text,
                CONSTRAINT "PK_6689a16c00d09b8089f6237f1d2" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_outbox_events_unpublished" ON "outbox_events" ("created_at")
            WHERE "published_at" IS NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_outbox_events_unpublished"
        `);
    await queryRunner.query(`
            DROP TABLE "outbox_events"
        `);
  }
}
