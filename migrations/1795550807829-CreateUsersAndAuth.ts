import type { MigrationInterface, QueryRunner } from 'typeorm';

export class CreateUsersAndAuth1795550807829 implements MigrationInterface {
  name = 'CreateUsersAndAuth1795550807829';

  public async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            CREATE TABLE "users" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "email" character varying(255) NOT NULL,
                "password_hash" character varying(255) NOT NULL,
                "full_name" character varying(255) NOT NULL,
                "role" character varying(20) NOT NULL DEFAULT 'student',
                "is_active" boolean NOT NULL DEFAULT true,
                "mfa_enabled" boolean NOT NULL DEFAULT false,
                "mfa_secret" text,
                "mfa_pending_secret" text,
                "mfa_last_step" bigint,
                "email_verified_at" TIMESTAMP WITH TIME ZONE,
                "last_login_at" TIMESTAMP WITH TIME ZONE,
                "token_version" integer NOT NULL DEFAULT '0',
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                "updated_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "chk_users_role" CHECK (role IN ('admin', 'instructor', 'student')),
                CONSTRAINT "PK_a3ffb1c0c8416b9fc6f907b7433" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE UNIQUE INDEX "uq_users_email" ON "users" ("email")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_users_created_at" ON "users" ("created_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "refresh_tokens" (
                "jti" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "family_id" uuid NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "revoked_at" TIMESTAMP WITH TIME ZONE,
                "replaced_by" uuid,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_f3752400c98d5c0b3dca54d66d5" PRIMARY KEY ("jti")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_refresh_tokens_family" ON "refresh_tokens" ("family_id")
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_refresh_tokens_user" ON "refresh_tokens" ("user_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "revoked_access_tokens" (
                "jti" uuid NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_340815421be58a8330570a1d6fb" PRIMARY KEY ("jti")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_revoked_access_tokens_expires" ON "revoked_access_tokens" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "consumed_tokens" (
                "jti" uuid NOT NULL,
                "purpose" character varying(40) NOT NULL,
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                CONSTRAINT "PK_9582e45f9a3ba0e18074647c054" PRIMARY KEY ("jti")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_consumed_tokens_expires" ON "consumed_tokens" ("expires_at")
        `);
    await queryRunner.query(`
            CREATE TABLE "mfa_recovery_codes" (
                "id" uuid NOT NULL DEFAULT gen_random_uuid(),
                "user_id" uuid NOT NULL,
                "code_hash" character varying(255) NOT NULL,
                "used_at" TIMESTAMP WITH TIME ZONE,
                "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
                CONSTRAINT "PK_0076416b1b84361afc3371ba121" PRIMARY KEY ("id")
            )
        `);
    await queryRunner.query(`
            CREATE INDEX "idx_mfa_recovery_codes_user" ON "mfa_recovery_codes" ("user_id")
        `);
    await queryRunner.query(`
            CREATE TABLE "mfa_challenges" (
                "jti" uuid NOT NULL,
                "user_id" uuid NOT NULL,
                "failed_attempts" integer NOT NULL DEFAULT '0',
                "expires_at" TIMESTAMP WITH TIME ZONE NOT NULL,
                "consumed_at" TIMESTAMP WITH TIME ZONE,
                CONSTRAINT "PK_1caca1bc2edc5eded711c3344b5" PRIMARY KEY ("jti")
            )
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens"
            ADD CONSTRAINT "FK_3ddc983c5f7bcf132fd8732c3f4" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "mfa_recovery_codes"
            ADD CONSTRAINT "FK_23aa6c5fdecdd98508fd4456acf" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
    await queryRunner.query(`
            ALTER TABLE "mfa_challenges"
            ADD CONSTRAINT "FK_1715663f6483821e6af6132b35b" FOREIGN KEY ("user_id") REFERENCES "users"("id") ON DELETE CASCADE ON UPDATE NO ACTION
        `);
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`
            ALTER TABLE "mfa_challenges" DROP CONSTRAINT "FK_1715663f6483821e6af6132b35b"
        `);
    await queryRunner.query(`
            ALTER TABLE "mfa_recovery_codes" DROP CONSTRAINT "FK_23aa6c5fdecdd98508fd4456acf"
        `);
    await queryRunner.query(`
            ALTER TABLE "refresh_tokens" DROP CONSTRAINT "FK_3ddc983c5f7bcf132fd8732c3f4"
        `);
    await queryRunner.query(`
            DROP TABLE "mfa_challenges"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_mfa_recovery_codes_user"
        `);
    await queryRunner.query(`
            DROP TABLE "mfa_recovery_codes"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_consumed_tokens_expires"
        `);
    await queryRunner.query(`
            DROP TABLE "consumed_tokens"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_revoked_access_tokens_expires"
        `);
    await queryRunner.query(`
            DROP TABLE "revoked_access_tokens"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_refresh_tokens_user"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_refresh_tokens_family"
        `);
    await queryRunner.query(`
            DROP TABLE "refresh_tokens"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."idx_users_created_at"
        `);
    await queryRunner.query(`
            DROP INDEX "public"."uq_users_email"
        `);
    await queryRunner.query(`
            DROP TABLE "users"
        `);
  }
}
