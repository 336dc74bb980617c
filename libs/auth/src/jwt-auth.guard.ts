import { Inject, Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import { IS_PUBLIC_KEY, ProblemException, ROLES_KEY, type AuthUser, type Role } from '#core';
import { assertCsrf } from './csrf.js';
import { extractAccessToken } from './jwt.strategy.js';

interface GuardRequest {
  method: string;
  headers: Record<string, string | string[] | undefined>;
  user?: AuthUser;
}

/**
 * Global and deny-by-default: every route needs a valid access token unless marked @Public().
 * On public routes a token is optional (a bad one means anonymous). Roles from @Authenticated({ roles })
 * are checked against the database role; cookie-authenticated unsafe requests need the CSRF header.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard('jwt') {
  constructor(@Inject(Reflector) private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    const request = context.switchToHttp().getRequest<GuardRequest>();
    if (this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets)) {
      if (extractAccessToken(request) === null) return true;
      try {
        await super.canActivate(context);
      } catch {
        request.user = undefined;
      }
      return true;
    }
    await super.canActivate(context);
    const user = request.user;
    if (!user) throw new ProblemException(401, 'not_authenticated', 'Not authenticated');
    const roles = this.reflector.getAllAndOverride<readonly Role[] | undefined>(ROLES_KEY, targets);
    if (roles && roles.length > 0 && !roles.includes(user.role)) {
      throw new ProblemException(403, 'forbidden', 'Not authorized to perform this action');
    }
    if (user.via === 'cookie') assertCsrf(request.method, request.headers);
    return true;
  }

  override handleRequest<TUser = AuthUser>(err: unknown, user: TUser | false, info: unknown): TUser {
    if (err) throw err;
    if (user) return user;
    const name = (info as { name?: string } | undefined)?.name;
    const message = (info as { message?: string } | undefined)?.message;
    if (name === 'TokenExpiredError') throw new ProblemException(401, 'token_expired', 'Token has expired');
    if (message === 'No auth token') throw new ProblemException(401, 'not_authenticated', 'Not authenticated');
    throw new ProblemException(401, 'invalid_token', 'Could not validate credentials');
  }
}
