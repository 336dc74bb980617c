import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * AES-256-GCM for small secrets at rest (TOTP secrets). The key is derived from SECRET_KEY with
 * HKDF-SHA256 and a purpose label, so it differs from the JWT key and from other purposes.
 *
 * Format (versioned, ASCII): `v1.<base64url(iv 12 bytes)>.<base64url(ciphertext)>.<base64url(tag 16 bytes)>`.
 * Optional associated data (e.g. the user id) binds a ciphertext to its owner: copying it to another
 * row makes decryption fail.
 */
export class SecretBox {
  static readonly VERSION = 'v1';
  private readonly key: Buffer;

  constructor(secretKey: string, purpose: string) {
    if (!secretKey) throw new Error('SecretBox needs a non-empty SECRET_KEY');
    this.key = Buffer.from(
      hkdfSync('sha256', Buffer.from(secretKey, 'utf8'), Buffer.from('lms-secret-box'), `lms:${purpose}:v1`, 32),
    );
  }

  encrypt(plaintext: string, aad?: string): string {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    if (aad !== undefined) cipher.setAAD(Buffer.from(aad, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [SecretBox.VERSION, iv, ciphertext, tag]
      .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
      .join('.');
  }

  /** Throws on an unknown version, a malformed value, a wrong key or wrong associated data. */
  decrypt(sealed: string, aad?: string): string {
    const parts = sealed.split('.');
    if (parts.length !== 4 || parts[0] !== SecretBox.VERSION) throw new Error('Unsupported secret-box format');
    const [, ivText, dataText, tagText] = parts as [string, string, string, string];
    const iv = Buffer.from(ivText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (iv.length !== 12 || tag.length !== 16) throw new Error('Malformed secret-box value');
    const decipher = createDecipheriv('aes-256-gcm', this.key, iv, { authTagLength: 16 });
    if (aad !== undefined) decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(dataText, 'base64url')), decipher.final()]).toString('utf8');
  }
}
