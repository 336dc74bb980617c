import { Inject, Injectable } from '@nestjs/common';
import type { Logger } from 'pino';
import { AppConfig, ROOT_LOGGER, type Role } from '#core';
import { DeploymentNotice } from './deployment-notice.entity.js';
import { User } from './user.entity.js';
import { normalizeEmail, UsersService } from './users.service.js';

/** Demo accounts of SEED_DEMO=true (development only: the config refuses it in production). */
export const DEMO_ACCOUNTS: ReadonlyArray<{ email: string; password: string; fullName: string; role: Role }> = [
  { email: 'admin@lms.local', password: 'admin-demo-password', fullName: 'Demo Admin', role: 'admin' },
  {
    email: 'instructor@lms.local',
    password: 'instructor-demo-password',
    fullName: 'Demo Instructor',
    role: 'instructor',
  },
  { email: 'student@lms.local', password: 'student-demo-password', fullName: 'Demo Student', role: 'student' },
];

export const CREATE_ADMIN_HINT = "npm run cli -- create-admin --email you@example.com --password '<8-128 characters>'";

/** deployment_notices key of the "no admin account exists yet" hint. */
export const NO_ADMIN_NOTICE = 'no-admin-hint';

export interface BootstrapOutcome {
  /** Emails of the accounts created by this call. */
  created: string[];
  /** Whether at least one admin exists after the call. */
  adminExists: boolean;
}

/**
 * First admin on start-up (run by apps/api/src/main.ts once the app is built, never in a constructor):
 * - BOOTSTRAP_ADMIN_EMAIL/PASSWORD set and no admin yet: creates that admin (verified);
 * - SEED_DEMO=true: creates the missing demo accounts (admin/instructor/student @lms.local);
 * - still no admin: logs how to create one with the CLI, once per deployment (debug level afterwards).
 * Everything runs under the admin-set advisory lock, so restarts and concurrent starts create
 * each account once. Passwords are never logged, except the fixed demo ones.
 */
@Injectable()
export class AdminBootstrapService {
  constructor(
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(ROOT_LOGGER) private readonly logger: Logger,
  ) {}

  async run(opts: { embeddedDatabase?: boolean } = {}): Promise<BootstrapOutcome> {
    const log = this.logger.child({ component: 'admin-bootstrap' });
    const created: string[] = [];
    let hintFirstShown = false;
    const adminExists = await this.users.withAdminLock(async (manager) => {
      const repo = manager.getRepository(User);
      const email = this.config.BOOTSTRAP_ADMIN_EMAIL;
      const password = this.config.BOOTSTRAP_ADMIN_PASSWORD;
      if (email && password && (await repo.count({ where: { role: 'admin' } })) === 0) {
        const existing = await repo.findOne({ where: { email: normalizeEmail(email) } });
        if (existing) {
          // Never promote an existing account: anybody could have registered that address.
          log.warn(
            { email: existing.email },
            'BOOTSTRAP_ADMIN_EMAIL is already registered as a non-admin account; not promoting it (use the CLI: create-admin --promote)',
          );
        } else {
          const admin = await this.users.create(
            { email, password, fullName: 'Administrator', role: 'admin', emailVerified: true },
            manager,
          );
          created.push(admin.email);
          log.info({ userId: admin.id, email: admin.email }, 'bootstrap admin created from BOOTSTRAP_ADMIN_EMAIL');
        }
      } else if (email && !password) {
        log.warn('BOOTSTRAP_ADMIN_EMAIL is set without BOOTSTRAP_ADMIN_PASSWORD: no bootstrap admin created');
      }

      if (this.config.SEED_DEMO && !this.config.isProduction) {
        for (const demo of DEMO_ACCOUNTS) {
          if (await repo.existsBy({ email: demo.email })) continue;
          await this.users.create({ ...demo, emailVerified: true }, manager);
          created.push(demo.email);
          log.info(
            { email: demo.email, role: demo.role },
            `demo account created: ${demo.email} / ${demo.password} (${demo.role})`,
          );
        }
      }
      const exists = (await repo.count({ where: { role: 'admin' } })) > 0;
      // The hint is for the operator, once per deployment: the first process to find no admin logs
      // it, restarts and further replicas don't. Once an admin exists the record goes, so a database
      // that loses its admins again gets the hint again.
      const notices = manager.getRepository(DeploymentNotice);
      if (exists) await notices.delete({ key: NO_ADMIN_NOTICE });
      else if (!(await notices.existsBy({ key: NO_ADMIN_NOTICE }))) {
        await notices.insert({ key: NO_ADMIN_NOTICE });
        hintFirstShown = true;
      }
      return exists;
    });

    if (!adminExists) {
      const msg = `No admin account exists yet. Create the first one with: ${CREATE_ADMIN_HINT}`;
      if (!hintFirstShown) log.debug(`${msg} (logged once per deployment: shown before)`);
      else if (opts.embeddedDatabase) log.info(msg);
      else log.warn(`${msg} (or set BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD)`);
    }
    return { created, adminExists };
  }
}
