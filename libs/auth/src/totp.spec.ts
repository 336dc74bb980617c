import { base32Encode, generateTotpSecret, otpauthUrl, totpCodeAt, totpStep, verifyTotp } from './totp.js';

// RFC 6238 appendix B (SHA-1): secret "12345678901234567890".
const RFC_SECRET = base32Encode(Buffer.from('12345678901234567890'));

describe('totp', () => {
  it('base32-encodes per RFC 4648', () => {
    expect(base32Encode(Buffer.from('foobar'))).toBe('MZXW6YTBOI');
    expect(RFC_SECRET).toBe('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  });

  it('matches the RFC 6238 test vectors (last six digits)', () => {
    expect(totpCodeAt(RFC_SECRET, totpStep(59_000))).toBe('287082');
    expect(totpCodeAt(RFC_SECRET, totpStep(1_111_111_109_000))).toBe('081804');
    expect(totpCodeAt(RFC_SECRET, totpStep(1_234_567_890_000))).toBe('005924');
    expect(totpCodeAt(RFC_SECRET, totpStep(20_000_000_000_000))).toBe('353130');
  });

  it('accepts ±1 step and returns the matched step', () => {
    const now = 1_234_567_890_000;
    const step = totpStep(now);
    expect(verifyTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step), { nowMs: now })).toBe(step);
    expect(verifyTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step - 1), { nowMs: now })).toBe(step - 1);
    expect(verifyTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step + 1), { nowMs: now })).toBe(step + 1);
    expect(verifyTotp(RFC_SECRET, totpCodeAt(RFC_SECRET, step - 3), { nowMs: now })).toBeNull();
    expect(verifyTotp(RFC_SECRET, 'abcdef', { nowMs: now })).toBeNull();
    expect(verifyTotp(RFC_SECRET, '12345', { nowMs: now })).toBeNull();
  });

  it('generates 160-bit secrets and an otpauth URL', () => {
    const secret = generateTotpSecret();
    expect(secret).toMatch(/^[A-Z2-7]{32}$/);
    const url = new URL(otpauthUrl(secret, 'ada@example.com', 'LMS Backend'));
    expect(url.protocol).toBe('otpauth:');
    expect(decodeURIComponent(url.pathname)).toBe('/LMS Backend:ada@example.com');
    expect(url.searchParams.get('secret')).toBe(secret);
    expect(url.searchParams.get('issuer')).toBe('LMS Backend');
  });
});
