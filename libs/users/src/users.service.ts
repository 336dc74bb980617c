import { Inject, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, QueryFailedError, Repository } from 'typeorm';
import { ProblemException, type Role } from '#core';
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

function isUniqueViolation(err: unknown): boolean {
  return err instanceof QueryFailedError && (err.driverError as { code?: string } | undefined)?.code === '23505';
}

/** Users and their credentials. Token issuing/revocation lives in #auth; this lib only bumps token_version. */
@Injectable()
export class UsersService {
  constructor(
    @InjectRepository(User) private readonly users: Repository<User>,
    @Inject(PasswordService) private readonly passwords: PasswordService,
  ) {}

  /** Creates a user; 409 `email_taken` when the email is registered (also under a concurrent insert). */
  async create(input: CreateUserInput, manager?: EntityManager): Promise<User> {
    const repo = manager ? manager.getRepository(User) : this.users;
    const entity = repo.create({
      email: normalizeEmail(input.email),
      passwordHash: await this.passwords.hash(input.password),
      fullName: input.fullName.trim(),
      role: input.role,
      emailVerifiedAt: input.emailVerified ? new Date() : null,
    });
    try {
      const saved = await repo.save(entity);
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

  private presentable(user: User): User {
    const copy = { ...user } as Partial<User>;
    delete copy.passwordHash;
    return copy as User;
  }
}
