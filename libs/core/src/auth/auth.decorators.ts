import { applyDecorators, createParamDecorator, SetMetadata, type ExecutionContext } from '@nestjs/common';
import { ApiBearerAuth, ApiCookieAuth, ApiExtension } from '@nestjs/swagger';
import { ApiProblemResponse, PUBLIC_EXTENSION } from '../docs/endpoint.decorator.js';

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

/**
 * The route needs no access token (the global guard is deny-by-default); a valid token that comes
 * along is read, a bad one is ignored. Documented as `security: []` (see Endpoint's optionalAuth).
 */
export const Public = (): MethodDecorator & ClassDecorator =>
  applyDecorators(SetMetadata(IS_PUBLIC_KEY, true), ApiExtension(PUBLIC_EXTENSION, true));

/**
 * The route needs a valid access token and, when `roles` is given, one of those roles (403 otherwise).
 * Also documents the security schemes and the 401 (and, with roles, 403) problem responses in OpenAPI;
 * the document builder adds 403 to unsafe methods (the cookie CSRF check).
 */
export function Authenticated(opts: { roles?: readonly Role[] } = {}): MethodDecorator & ClassDecorator {
  const decorators = [
    SetMetadata(ROLES_KEY, opts.roles ?? []),
    ApiBearerAuth('bearer'),
    ApiCookieAuth('cookie'),
    ApiProblemResponse(401),
  ];
  if (opts.roles?.length) {
    decorators.push(
      ApiProblemResponse(
        403,
        `Requires role: ${opts.roles.join(' or ')} (or a cookie request without its CSRF header)`,
      ),
    );
  }
  return applyDecorators(...decorators);
}

/** The AuthUser of the request (set by the global guard); undefined on public routes without a token. */
export const CurrentUser = createParamDecorator((_data: unknown, ctx: ExecutionContext): AuthUser | undefined => {
  const request = ctx.switchToHttp().getRequest<{ user?: AuthUser }>();
  return request.user;
});
