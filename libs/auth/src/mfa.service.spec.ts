import { canonicalRecoveryCode, newRecoveryCode } from './mfa.service.js';

describe('recovery codes', () => {
  it('are ten base32 characters grouped xxxxx-xxxxx, and random', () => {
    const codes = Array.from({ length: 50 }, newRecoveryCode);
    for (const c of codes) expect(c).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);
    expect(new Set(codes).size).toBe(50);
  });

  it('canonicalize case, spaces and dashes; reject other shapes', () => {
    expect(canonicalRecoveryCode('abcde-fg2ij')).toBe('ABCDEFG2IJ');
    expect(canonicalRecoveryCode(' ABCDE FG2IJ ')).toBe('ABCDEFG2IJ');
    expect(canonicalRecoveryCode('ABCDE-FG1IJ')).toBeNull();
    expect(canonicalRecoveryCode('123456')).toBeNull();
    expect(canonicalRecoveryCode('ABCDE-FGHIJK')).toBeNull();
  });
});
