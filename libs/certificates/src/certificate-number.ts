import { randomBytes } from 'node:crypto';

/** CERT-YYYYMMDD-XXXXXX: the UTC date of issue and 6 uppercase hexadecimal digits (reference §9). */
export const CERTIFICATE_NUMBER_PATTERN = /^CERT-\d{8}-[0-9A-F]{6}$/;

/** A new certificate number for an issue at `at` (random part from the CSPRNG; uniqueness is the caller's retry). */
export function newCertificateNumber(at: Date, random: (bytes: number) => Buffer = randomBytes): string {
  const y = at.getUTCFullYear().toString().padStart(4, '0');
  const m = (at.getUTCMonth() + 1).toString().padStart(2, '0');
  const d = at.getUTCDate().toString().padStart(2, '0');
  return `CERT-${y}${m}${d}-${random(3).toString('hex').toUpperCase()}`;
}
