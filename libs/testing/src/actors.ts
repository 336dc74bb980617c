import { randomBytes } from 'node:crypto';
import { AuthTokensService } from '#auth';
import type { Role } from '#core';
import { UsersService, type User } from '#users';
import type { TestApp } from './test-app.js';

export const TEST_PASSWORD = 'correct-horse-battery';

/** A user of the test app and a valid access token for it. */
export interface TestActor {
  user: User;
  token: string;
}

/** Creates a verified user with `role` (unique email, TEST_PASSWORD) and issues its tokens. */
export async function createActor(t: Pick<TestApp, 'app'>, role: Role, label = 'user'): Promise<TestActor> {
  const user = await t.app.get(UsersService).create({
    email: `${label}-${role}-${randomBytes(5).toString('hex')}@example.com`,
    password: TEST_PASSWORD,
    fullName: `${role} ${label}`,
    role,
    emailVerified: true,
  });
  return { user, token: (await t.app.get(AuthTokensService).issue(user)).access_token };
}
