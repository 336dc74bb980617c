import type { MigrationInterface, QueryRunner } from 'typeorm';

export class AddCertificateRequests1795552771465 implements MigrationInterface {
  name = 'AddCertificateRequests1795552771465';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "certificate_requests" (
                "enrollment_id" uuid NOT NULL,
                "requested_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "requests" integer NOT NULL DEFAULT '1',
                CONSTRAINT "PK_47bd9d5a39e463c3c262ca86f1a" PRIMARY KEY ("enrollment_id")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "certificate_requests"
            ADD CONSTRAINT "FK_47bd9d5a39e463c3c262ca86f1a" FOREIGN KEY ("enrollment_id") REFERENCES "enrollments"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "certificate_requests" DROP CONSTRAINT "FK_47bd9d5a39e463c3c262ca86f1a"
        `);
    await queryRunner.query(`
            DROP TABLE "certificate_requests"
        `);
  }
}
