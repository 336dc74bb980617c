export {
  RefreshToken,
  RevokedAccessToken,
  ConsumedToken,
  MfaRecoveryCode,
  MfaChallenge,
  LoginAttemptCounter,
} from './auth.entity.js';
export { AuthCoreModule } from './auth-core.module.js';
export {
  TokenService,
  JWT_KEY,
  TOKEN_TYPES,
  type TokenType,
  type TokenClaims,
  type SignedToken,
} from './token.service.js';
export { AccessTokenBlacklist } from './access-token-blacklist.js';
export { JwtAuthGuard } from './jwt-auth.guard.js';
export { ACCESS_COOKIE } from './jwt.strategy.js';
export { CSRF_COOKIE, CSRF_HEADER } from './csrf.js';
export { AuthTokensService, type TokenPair } from './auth-tokens.service.js';
export { AuthHttpModule } from './auth-http.module.js';
export { MfaHttpModule } from './mfa-http.module.js';
export { MfaService, type MfaChallengeResponse } from './mfa.service.js';
export { AccountRecoveryService } from './account-recovery.service.js';
export {
  AccountEmailService,
  AccountEmailHandler,
  AuthJobsModule,
  type AccountEmailKind,
  type SkippedAccountEmail,
} from './account-emails.js';
export { TokenModule } from './token.module.js';
export { SecretBox } from './secret-box.js';
export { AuthService } from './auth.service.js';
export { LockoutService, ACCOUNT_LOCKED_DETAIL, type LoginAttempt } from './lockout.service.js';
export { clientIp, ClientIp } from './client-ip.js';
export { REFRESH_COOKIE, authCookieOptions } from './auth-cookie.controller.js';
