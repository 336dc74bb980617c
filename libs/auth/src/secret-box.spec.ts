import { SecretBox } from './secret-box.js';

describe('SecretBox', () => {
  const box = new SecretBox('a-secret-key-of-some-length-0123456789', 'mfa-totp');

  it('round-trips and never contains the plaintext', () => {
    const sealed = box.encrypt('JBSWY3DPEHPK3PXP', 'user-1');
    expect(sealed.startsWith('v1.')).toBe(true);
    expect(sealed).not.toContain('JBSWY3DPEHPK3PXP');
    expect(box.decrypt(sealed, 'user-1')).toBe('JBSWY3DPEHPK3PXP');
  });

  it('uses a fresh IV each time', () => {
    expect(box.encrypt('x')).not.toBe(box.encrypt('x'));
  });

  it('rejects wrong associated data, another key, tampering and unknown versions', () => {
    const sealed = box.encrypt('JBSWY3DPEHPK3PXP', 'user-1');
    expect(() => box.decrypt(sealed, 'user-2')).toThrow();
    expect(() => new SecretBox('another-key-0123456789-0123456789', 'mfa-totp').decrypt(sealed, 'user-1')).toThrow();
    expect(() => new SecretBox('a-secret-key-of-some-length-0123456789', 'other').decrypt(sealed, 'user-1')).toThrow();
    const parts = sealed.split('.');
    const data = Buffer.from(parts[2]!, 'base64url');
    data[0] ^= 1;
    parts[2] = data.toString('base64url');
    expect(() => box.decrypt(parts.join('.'), 'user-1')).toThrow();
    expect(() => box.decrypt(sealed.replace(/^v1/, 'v9'), 'user-1')).toThrow('Unsupported');
  });
});
