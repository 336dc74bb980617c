import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, decodeProtectedHeader, errors, jwtVerify, SignJWT } from 'jose';
import { buildOpenBadgeCredential, type OpenBadgeCredential } from './open-badge.js';
import { generateSigningKeyPem, loadSigningKeys, type CredentialKeyRing } from './signing-keys.js';
import { buildStatusListCredential, encodeStatusList, isRevoked } from './status-list.js';
import { signCredentialJwt, verifyCredentialJwt } from './vc-jwt.js';

const ISSUER = 'https://lms.example.com/certificates/issuer';

function credential(): OpenBadgeCredential {
  return buildOpenBadgeCredential({
    certificate: { id: '3f2504e0-4f89-41d3-9a0c-0305e82c3301', number: 'LMS-1', issuedAt: '2026-11-30T09:15:42Z' },
    issuer: { id: ISSUER, name: 'Example Academy', url: 'https://example.com' },
    recipient: { name: 'Ada Lovelace', email: 'ada@example.com' },
    achievement: { id: 'https://lms.example.com/courses/ts', name: 'TypeScript', description: 'Types.' },
    status: { listCredentialUrl: 'https://lms.example.com/certificates/status/1', index: 17 },
  });
}

/** Flips one character in the middle of the payload segment. */
function tamper(jwt: string): string {
  const [header, payload, signature] = jwt.split('.');
  const i = Math.floor(payload.length / 2);
  const flipped = payload[i] === 'A' ? 'B' : 'A';
  return [header, payload.slice(0, i) + flipped + payload.slice(i + 1), signature].join('.');
}

describe('VC-JWT', () => {
  let dataDir: string;
  let ring: CredentialKeyRing;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'lms-vc-jwt-'));
    ring = await loadSigningKeys({ signingKey: generateSigningKeyPem(), dataDir, production: true });
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('signs a credential that verifies with jose against the published JWKS', async () => {
    const vc = credential();
    const jwt = await signCredentialJwt(vc, ring, { now: new Date('2026-11-30T09:15:43Z') });
    expect(jwt.split('.')).toHaveLength(3);
    expect(decodeProtectedHeader(jwt)).toEqual({ alg: 'EdDSA', kid: ring.current.kid, typ: 'vc+jwt', cty: 'vc' });

    // Plain jose, as an integrator would (JWKS round-tripped through JSON like an HTTP response).
    const jwks = JSON.parse(JSON.stringify(ring.jwks()));
    const { payload, protectedHeader } = await jwtVerify(jwt, createLocalJWKSet(jwks), { typ: 'vc+jwt' });
    expect(protectedHeader.kid).toBe(ring.current.kid);
    expect(payload).toEqual({
      ...vc,
      iss: ISSUER,
      jti: vc.id,
      nbf: Date.parse(vc.validFrom) / 1000,
      iat: Date.parse('2026-11-30T09:15:43Z') / 1000,
    });
    expect(payload).not.toHaveProperty('vc'); // VC 2.0: the credential is the payload
    expect(payload).not.toHaveProperty('sub'); // no credentialSubject.id

    const verified = await verifyCredentialJwt<OpenBadgeCredential>(jwt, jwks, { issuer: ISSUER });
    expect(verified.credential).toEqual(vc);
    expect(verified.kid).toBe(ring.current.kid);
  });

  it('maps validUntil and credentialSubject.id to exp and sub', async () => {
    const vc = credential();
    vc.validUntil = '2030-01-01T00:00:00Z';
    vc.credentialSubject.id = 'did:example:ada';
    const { payload } = await verifyCredentialJwt(await signCredentialJwt(vc, ring), ring.jwks());
    expect(payload.exp).toBe(Date.parse('2030-01-01T00:00:00Z') / 1000);
    expect(payload.sub).toBe('did:example:ada');
    await expect(
      verifyCredentialJwt(await signCredentialJwt(vc, ring), ring.jwks(), { currentDate: new Date('2030-06-01') }),
    ).rejects.toThrow(errors.JWTExpired);
  });

  it('rejects a tampered payload', async () => {
    const jwt = await signCredentialJwt(credential(), ring);
    const bad = tamper(jwt);
    expect(bad).not.toBe(jwt);
    await expect(verifyCredentialJwt(bad, ring.jwks())).rejects.toThrow();
    await expect(jwtVerify(bad, createLocalJWKSet(ring.jwks()))).rejects.toThrow();
  });

  it('rejects a wrong issuer, a non-VC typ and claims contradicting the credential', async () => {
    const jwt = await signCredentialJwt(credential(), ring);
    await expect(verifyCredentialJwt(jwt, ring.jwks(), { issuer: 'https://evil.example' })).rejects.toThrow(
      errors.JWTClaimValidationFailed,
    );
    const plainJwt = await new SignJWT({ ...credential(), iss: ISSUER })
      .setProtectedHeader({ alg: 'EdDSA', kid: ring.current.kid, typ: 'JWT' })
      .sign(ring.current.privateKey);
    await expect(verifyCredentialJwt(plainJwt, ring.jwks())).rejects.toThrow(/typ/);
    const vc = credential() as OpenBadgeCredential & { jti?: string };
    vc.jti = 'x';
    await expect(signCredentialJwt(vc, ring)).rejects.toThrow(/JWT claim "jti"/);
  });

  it('keeps old credentials verifiable after a key rotation only while the old key is listed', async () => {
    const oldPem = generateSigningKeyPem();
    const oldRing = await loadSigningKeys({ signingKey: oldPem, dataDir, production: true });
    const oldJwt = await signCredentialJwt(credential(), oldRing);

    const newPem = generateSigningKeyPem();
    const oldPublicJwk = createPublicKey(createPrivateKey(oldPem)).export({ format: 'jwk' });
    const rotated = await loadSigningKeys({
      signingKey: newPem,
      previousKeys: JSON.stringify([oldPublicJwk]),
      dataDir,
      production: true,
    });
    expect(rotated.current.kid).not.toBe(oldRing.current.kid);
    const verified = await verifyCredentialJwt(oldJwt, rotated.jwks());
    expect(verified.kid).toBe(oldRing.current.kid);
    await verifyCredentialJwt(await signCredentialJwt(credential(), rotated), rotated.jwks());

    const forgotten = await loadSigningKeys({ signingKey: newPem, dataDir, production: true });
    await expect(verifyCredentialJwt(oldJwt, forgotten.jwks())).rejects.toThrow(errors.JWKSNoMatchingKey);
  });

  it('signs a status list credential that resolves a credentialStatus entry', async () => {
    const vc = credential();
    const list = buildStatusListCredential({
      id: vc.credentialStatus.statusListCredential,
      issuerId: ISSUER,
      validFrom: new Date(),
      encodedList: encodeStatusList([Number(vc.credentialStatus.statusListIndex)]),
      purpose: 'revocation',
    });
    const { credential: verified, payload } = await verifyCredentialJwt<typeof list>(
      await signCredentialJwt(list, ring),
      ring.jwks(),
      { issuer: ISSUER },
    );
    expect(payload.sub).toBe(`${list.id}#list`);
    expect(verified.credentialSubject.statusPurpose).toBe(vc.credentialStatus.statusPurpose);
    expect(isRevoked(verified.credentialSubject.encodedList, Number(vc.credentialStatus.statusListIndex))).toBe(true);
  });
});
