import { createHmac, hkdfSync, timingSafeEqual } from 'node:crypto';

/** HKDF info label: the signing key is used for nothing else (JWTs use SECRET_KEY itself). */
const KEY_LABEL = 'lms/files/signed-download/v1';

/** Signs and checks local download links: HMAC-SHA256 over `<file id>.<expires (epoch s)>`. */
export class DownloadSigner {
  private readonly key: Buffer;

  constructor(secret: string) {
    this.key = Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), KEY_LABEL, 32));
  }

  sign(fileId: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${fileId}.${expires}`).digest('base64url');
  }

  /** Whether `signature` is this file's and expiry's (constant time; any malformed input is false). */
  verify(fileId: string, expires: number, signature: string): boolean {
    const expected = Buffer.from(this.sign(fileId, expires));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
