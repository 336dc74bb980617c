import { Injectable } from '@nestjs/common';
import type { User } from '#users';

/** `{mfa_required, challenge_token, expires_in_seconds, message}` returned by login when MFA is on. */
export interface MfaChallengeResponse {
  mfa_required: true;
  challenge_token: string;
  expires_in_seconds: number;
  message: string;
}

// STUB: replaced by the MFA work (TOTP, recovery codes, challenges).
@Injectable()
export class MfaService {
  /** Creates a login challenge for a user whose password was correct and who has MFA on. */
  startChallenge(user: Pick<User, 'id'>): Promise<MfaChallengeResponse> {
    void user;
    return Promise.reject(new Error('MFA not implemented yet'));
  }
}
