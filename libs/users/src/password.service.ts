import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import bcrypt from 'bcrypt';
import { AppConfig } from '#core';

/**
 * bcrypt (async only) over a SHA-256 pre-hash: bcrypt reads at most 72 bytes, so a long password
 * (up to 128 characters, up to 512 bytes of UTF-8) would otherwise be silently truncated.
 */
@Injectable()
export class PasswordService {
  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  hash(password: string): Promise<string> {
    return bcrypt.hash(prehash(password), this.config.BCRYPT_ROUNDS);
  }

  verify(password: string, hash: string): Promise<boolean> {
    return bcrypt.compare(prehash(password), hash);
  }

  /** True when the hash was made with another cost than BCRYPT_ROUNDS (rehash after a successful login). */
  needsRehash(hash: string): boolean {
    try {
      return bcrypt.getRounds(hash) !== this.config.BCRYPT_ROUNDS;
    } catch {
      return true;
    }
  }
}

function prehash(password: string): string {
  return createHash('sha256').update(password, 'utf8').digest('base64');
}
