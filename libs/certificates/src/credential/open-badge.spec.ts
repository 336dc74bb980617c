import { createHash } from 'node:crypto';
import {
  buildIssuerProfile,
  buildOpenBadgeCredential,
  credentialUri,
  hashIdentity,
  type OpenBadgeCredentialInput,
} from './open-badge.js';

const sampleInput = (): OpenBadgeCredentialInput => ({
  certificate: {
    id: '3F2504E0-4F89-41D3-9A0C-0305E82C3301',
    number: 'LMS-2026-000123',
    issuedAt: new Date('2026-11-30T09:15:42.123Z'),
  },
  issuer: {
    id: 'https://lms.example.com/certificates/issuer',
    name: 'Example Academy',
    url: 'https://example.com',
  },
  recipient: { name: 'Ada Lovelace', email: ' Ada@Example.com ', salt: 'pepper' },
  achievement: {
    id: 'https://lms.example.com/courses/intro-to-ts',
    name: 'Introduction to TypeScript',
    description: 'Types, generics and modules.',
  },
  status: { listCredentialUrl: 'https://lms.example.com/certificates/status/1', index: 94567 },
});

describe('buildOpenBadgeCredential', () => {
  it('produces an OB 3.0 OpenBadgeCredential (VC 2.0)', () => {
    const vc = buildOpenBadgeCredential(sampleInput());
    expect(vc['@context']).toEqual([
      'https://www.w3.org/ns/credentials/v2',
      'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
    ]);
    expect(vc.type).toEqual(['VerifiableCredential', 'OpenBadgeCredential']);
    expect(vc.id).toBe('urn:uuid:3f2504e0-4f89-41d3-9a0c-0305e82c3301');
    expect(vc.name).toBe('Introduction to TypeScript');
    expect(vc.description).toBe('Certificate LMS-2026-000123');
    expect(vc.issuer).toEqual({
      id: 'https://lms.example.com/certificates/issuer',
      type: ['Profile'],
      name: 'Example Academy',
      url: 'https://example.com',
    });
    expect(vc.validFrom).toBe('2026-11-30T09:15:42Z');
    expect(vc.validFrom).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/);
    expect(new Date(vc.validFrom).toISOString()).toBe('2026-11-30T09:15:42.000Z');
    expect(vc).not.toHaveProperty('validUntil');
    expect(vc).not.toHaveProperty('issuanceDate'); // VC 1.1 term
    expect(vc.credentialSubject.type).toEqual(['AchievementSubject']);
    expect(vc.credentialSubject.achievement).toEqual({
      id: 'https://lms.example.com/courses/intro-to-ts',
      type: ['Achievement'],
      name: 'Introduction to TypeScript',
      description: 'Types, generics and modules.',
      criteria: { narrative: 'Completed the course "Introduction to TypeScript".' },
      achievementType: 'Certificate',
    });
    expect(vc.credentialStatus).toEqual({
      id: 'https://lms.example.com/certificates/status/1#94567',
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: '94567',
      statusListCredential: 'https://lms.example.com/certificates/status/1',
    });
  });

  it('identifies the recipient by name and by a salted email hash, never the email itself', () => {
    const vc = buildOpenBadgeCredential(sampleInput());
    const expectedHash = createHash('sha256').update('ada@example.compepper').digest('hex');
    expect(vc.credentialSubject.identifier).toEqual([
      { type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: 'Ada Lovelace' },
      {
        type: 'IdentityObject',
        identityType: 'emailAddress',
        hashed: true,
        identityHash: `sha256$${expectedHash}`,
        salt: 'pepper',
      },
    ]);
    expect(JSON.stringify(vc).toLowerCase()).not.toContain('ada@example.com');
    expect(hashIdentity('ada@example.com', 'pepper')).toBe(`sha256$${expectedHash}`);
  });

  it('is deterministic without an explicit salt, and salts differ per certificate', () => {
    const input = sampleInput();
    delete input.recipient.salt;
    const a = buildOpenBadgeCredential(input);
    expect(buildOpenBadgeCredential(input)).toEqual(a);
    const other = buildOpenBadgeCredential({
      ...input,
      certificate: { ...input.certificate, id: 'https://x.example/c/2' },
    });
    expect(other.credentialSubject.identifier?.[1].salt).not.toBe(a.credentialSubject.identifier?.[1].salt);
  });

  it('accepts a URL id, optional subject id, expiry and image', () => {
    const input = sampleInput();
    const vc = buildOpenBadgeCredential({
      ...input,
      certificate: { ...input.certificate, id: 'https://lms.example.com/c/LMS-1', validUntil: '2030-01-01T00:00:00Z' },
      recipient: { id: 'did:example:ada' },
      achievement: { ...input.achievement, imageUrl: 'https://lms.example.com/badge.png', criteriaNarrative: 'Pass.' },
    });
    expect(vc.id).toBe('https://lms.example.com/c/LMS-1');
    expect(vc.validUntil).toBe('2030-01-01T00:00:00Z');
    expect(vc.credentialSubject.id).toBe('did:example:ada');
    expect(vc.credentialSubject).not.toHaveProperty('identifier');
    expect(vc.credentialSubject.achievement.image).toEqual({ id: 'https://lms.example.com/badge.png', type: 'Image' });
    expect(vc.credentialSubject.achievement.criteria.narrative).toBe('Pass.');
  });

  it('rejects unusable input', () => {
    const input = sampleInput();
    expect(() => buildOpenBadgeCredential({ ...input, recipient: {} })).toThrow(/recipient/);
    expect(() => buildOpenBadgeCredential({ ...input, status: { ...input.status, index: -1 } })).toThrow(RangeError);
    expect(() =>
      buildOpenBadgeCredential({ ...input, certificate: { ...input.certificate, issuedAt: 'soon' } }),
    ).toThrow(/issuedAt/);
    expect(() => credentialUri('LMS-2026-1')).toThrow(/absolute URI/);
  });
});

describe('buildIssuerProfile', () => {
  it('is an OB 3.0 Profile document', () => {
    expect(
      buildIssuerProfile({
        id: 'https://lms.example.com/certificates/issuer',
        name: 'Example Academy',
        url: 'https://example.com',
        email: 'certificates@example.com',
        imageUrl: 'https://example.com/logo.png',
      }),
    ).toEqual({
      '@context': [
        'https://www.w3.org/ns/credentials/v2',
        'https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json',
      ],
      id: 'https://lms.example.com/certificates/issuer',
      type: ['Profile'],
      name: 'Example Academy',
      url: 'https://example.com',
      email: 'certificates@example.com',
      image: { id: 'https://example.com/logo.png', type: 'Image' },
    });
  });
});
