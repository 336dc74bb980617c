import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Not, type QueryDeepPartialEntity, type Repository } from 'typeorm';
import { OutboxService, ProblemException, type Role, isUniqueViolation } from '#core';
import { PasswordService } from './password.service.js';
import { User } from './user.entity.js';

export interface CreateUserInput {
  email: string;
  password: string;
  fullName: string;
  role: Role;
  /** Set email_verified_at now (when verification is not required, or for admin-created accounts). */
  emailVerified: boolean;
}

/** Columns needed to authenticate a request (the guard's per-request lookup). */
export type UserAuthState = Pick<User, 'id' | 'email' | 'role' | 'isActive' | 'tokenVersion' | 'emailVerifiedAt'>;

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

/**
 * pg advisory lock (transaction-scoped) serializing every change to the set of admins: the first-admin
 * bootstrap, the CLI's create-admin/promote and admin demotions/deactivations (last-admin rule).
 */
export const ADMIN_SET_LOCK_KEY = 7_204_311_913;

/** What an admin may change on another user (PATCH /users/{id}); undefined = unchanged. */
export interface AdminUserChanges {
  fullName?: string;
  role?: Role;
  isActive?: boolean;
  password?: string;
}

/** Users and their credentials. Token issuing/revocation lives in #auth; this lib only bumps token_version. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @Inject(PasswordService) private readonly passwords: PasswordService,
    @Inject(OutboxService) private readonly outbox: OutboxService,
  ) {}

  /**
   * Creates a user and records `user.created` in the outbox, in the caller's transaction (or one of
   * its own); 409 `email_taken` when the email is registered (also under a concurrent insert). The
   * password is hashed before any transaction opens.
   */
  async create(input: CreateUserInput, manager?: EntityManager): Promise<User> {
    const passwordHash = await this.passwords.hash(input.password);
    const insert = async (m: EntityManager): Promise<User> => {
      const repo = m.getRepository(User);
      const saved = await repo.save(
        repo.create({
          email: normalizeEmail(input.email),
          passwordHash,
          fullName: input.fullName.trim(),
          role: input.role,
          emailVerifiedAt: input.emailVerified ? new Date() : null,
        }),
      );
      await this.outbox.record(m, 'user.created', {
        user_id: saved.id,
        email: saved.email,
        full_name: saved.fullName,
        role: saved.role,
        created_at: saved.createdAt.toISOString(),
      });
      return saved;
    };
    try {
      const saved = manager ? await insert(manager) : await this.users.manager.transaction(insert);
      return this.presentable(saved);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ProblemException(409, 'email_taken', 'Email is already registered');
      throw err;
    }
  }

  findById(id: string): Promise<User | null> {
    return this.users.findOne({ where: { id } });
  }

  /** With the password hash (login). */
  findByEmailWithPassword(email: string): Promise<User | null> {
    return this.users
      .createQueryBuilder('u')
      .addSelect('u.passwordHash')
      .where('u.email = :email', { email: normalizeEmail(email) })
      .getOne();
  }

  /** With the password hash (password checks for a known user). */
  findByIdWithPassword(id: string): Promise<User | null> {
    return this.users.createQueryBuilder('u').addSelect('u.passwordHash').where('u.id = :id', { id }).getOne();
  }

  authState(id: string): Promise<UserAuthState | null> {
    return this.users.findOne({
      where: { id },
      select: { id: true, email: true, role: true, isActive: true, tokenVersion: true, emailVerifiedAt: true },
    });
  }

  async list(offset: number, limit: number): Promise<[User[], number]> {
    return this.users.findAndCount({ order: { createdAt: 'DESC', id: 'DESC' }, skip: offset, take: limit });
  }

  /** Sets a new password and revokes every outstanding token of the user. */
  async setPassword(id: string, password: string): Promise<void> {
    const passwordHash = await this.passwords.hash(password);
    await this.users.update({ id }, { passwordHash, tokenVersion: () => 'token_version + 1' });
  }

  /** Revokes every outstanding access and refresh token of the user (they carry the old version). */
  async revokeAllTokens(id: string, manager?: EntityManager): Promise<void> {
    const repo = manager ? manager.getRepository(User) : this.users;
    await repo.update({ id }, { tokenVersion: () => 'token_version + 1' });
  }

  async update(id: string, changes: Partial<Pick<User, 'fullName' | 'role' | 'isActive'>>): Promise<User | null> {
    if (Object.keys(changes).length > 0) {
      const revoke = changes.isActive === false;
      await this.users.update({ id }, { ...changes, ...(revoke ? { tokenVersion: () => 'token_version + 1' } : {}) });
    }
    return this.findById(id);
  }

  async markLogin(id: string): Promise<void> {
    await this.users.update({ id }, { lastLoginAt: () => 'now()' });
  }

  async rehashPassword(id: string, password: string): Promise<void> {
    await this.users.update({ id }, { passwordHash: await this.passwords.hash(password) });
  }

  async markEmailVerified(id: string): Promise<void> {
    await this.users
      .createQueryBuilder()
      .update(User)
      .set({ emailVerifiedAt: () => 'COALESCE(email_verified_at, now())' })
      .where('id = :id', { id })
      .execute();
  }

  countAdmins(): Promise<number> {
    return this.users.count({ where: { role: 'admin' } });
  }

  count(): Promise<number> {
    return this.users.count();
  }

  findByEmail(email: string): Promise<User | null> {
    return this.users.findOne({ where: { email: normalizeEmail(email) } });
  }

  /** Active admins (the ones that can still sign in and administer). */
  countActiveAdmins(manager?: EntityManager): Promise<number> {
    const repo = manager ? manager.getRepository(User) : this.users;
    return repo.count({ where: { role: 'admin', isActive: true } });
  }

  /**
   * Runs `fn` in a transaction holding the admin-set advisory lock, so that concurrent bootstraps,
   * CLI runs and demotions see each other's effects (one first admin; never zero active admins).
   */
  withAdminLock<T>(fn: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.users.manager.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [ADMIN_SET_LOCK_KEY]);
      return fn(manager);
    });
  }

  /**
   * An admin's edit of a user (PATCH /users/{id}). Deactivation and a new password revoke every
   * outstanding token of the user (token_version + 1). Refuses, with 409, an admin demoting or
   * deactivating themself (`self_demotion`) and removing the last active admin (`last_admin`).
   * Returns null when the user does not exist.
   */
  async adminUpdate(id: string, changes: AdminUserChanges, actorId?: string): Promise<User | null> {
    const removesAdmin = (changes.role !== undefined && changes.role !== 'admin') || changes.isActive === false;
    if (actorId === id && removesAdmin) {
      throw new ProblemException(409, 'self_demotion', 'Admins cannot demote or deactivate themselves');
    }
    const passwordHash = changes.password !== undefined ? await this.passwords.hash(changes.password) : undefined;
    return this.withAdminLock(async (manager) => {
      const repo = manager.getRepository(User);
      const target = await repo.findOne({ where: { id } });
      if (!target) return null;
      if (removesAdmin && target.role === 'admin' && target.isActive) {
        const others = await repo.count({ where: { role: 'admin', isActive: true, id: Not(id) } });
        if (others === 0) {
          throw new ProblemException(409, 'last_admin', 'Cannot demote or deactivate the last active admin');
        }
      }
      const set: QueryDeepPartialEntity<User> = {};
      if (changes.fullName !== undefined) set.fullName = changes.fullName.trim();
      if (changes.role !== undefined) set.role = changes.role;
      if (changes.isActive !== undefined) set.isActive = changes.isActive;
      if (passwordHash !== undefined) set.passwordHash = passwordHash;
      if (changes.isActive === false || passwordHash !== undefined) set.tokenVersion = () => 'token_version + 1';
      if (Object.keys(set).length > 0) await repo.update({ id }, set);
      return repo.findOne({ where: { id } });
    });
  }

  private presentable(user: User): User {
    const copy = { ...user } as Partial<User>;
    delete copy.passwordHash;
    return copy as User;
  }
}
