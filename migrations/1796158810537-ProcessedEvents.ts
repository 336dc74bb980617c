import type { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * processed_events (which outbox event each job handler finished) and outbox_events.redeliver_at
 * (when the relay next checks a published event). Events published before this migration keep a
 * NULL redeliver_at: no handler recorded them, so they are never re-enqueued.
 */
export class ProcessedEvents1796158810537 implements MigrationInterface {
  name = 'ProcessedEvents1796158810537';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "processed_events" (
                "event_id" uuid NOT NULL,
                "handler" character varying(100) NOT NULL,
                "processed_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_ab834790da713dd72b4df649c0b" PRIMARY KEY ("event_id", "handler")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_processed_events_processed_at" ON "processed_events" ("processed_at")
        `);
    await queryRunner.query(`
            ALTER TABLE "outbox_events"
            ADD "redeliver_at" TIMESTAMP WITH TIME ZONE
        `);
    await queryRunner.query(`
            CREATE INDEX "IDX_outbox_events_redeliver" ON "outbox_events" ("redeliver_at")
            WHERE "redeliver_at" IS NOT NULL
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            DROP INDEX "public"."IDX_outbox_events_redeliver"
        `);
    await queryRunner.query(`
            ALTER TABLE "outbox_events" DROP COLUMN "redeliver_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."IDX_processed_events_processed_at"
        `);
    await queryRunner.query(`
            DROP TABLE "processed_events"
        `);
  }
}
