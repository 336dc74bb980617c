import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiForbiddenResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';

export const ROLES = ['admin', 'instructor', 'student'] as const;
export type Role = (typeof ROLES)[number];

/** The authenticated caller, as the global guard puts it on the request (role read from the database). */
export interface AuthUser {
  id: string;
  email: string;
  role: Role;
  /** The access token's jti and expiry (seconds), for logout/blacklisting. */
  jti: string;
  exp: number;
  /** How the token arrived: the `access_token` cookie needs a CSRF header on unsafe methods. */
  via: 'bearer' | 'cookie';
}

export const IS_PUBLIC_KEY = 'lms:public';
export const ROLES_KEY = 'lms:roles';

/** The route needs no access token (the global guard is deny-by-default). */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);

/**
 * The route needs a valid access token and, when `roles` is given, one of those roles (403 otherwise).
 * Also documents the security schemes and the 401/403 responses in OpenAPI.
 */
export function Authenticated(opts: { roles?: readonly Role[] } = {}): MethodDecorator & ClassDecorator {
  const decorators = [
    SetMetadata(ROLES_KEY, opts.roles ?? []),
    ApiBearerAuth('bearer'),
    ApiCookieAuth('cookie'),
    ApiUnauthorizedResponse({ description: 'Missing, invalid, expired or revoked access token' }),
  ];
  if (opts.roles?.length) {
    decorators.push(ApiForbiddenResponse({ description: `Requires role: ${opts.roles.join(' or ')}` }));
  }
  return applyDecorators(...decorators);
}

/** The AuthUser of the request (set by the global guard); undefined on public routes without a token. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser | undefined => {
  const request = ctx.switchToHttp().getRequest<{ user?: AuthUser }>();
  return request.user;
});
