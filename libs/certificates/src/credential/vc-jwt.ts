// Securing credentials as VC-JWT (W3C "Securing Verifiable Credentials using JOSE and COSE", JWS compact).
//
// Protected header: { alg: 'EdDSA', kid: <RFC 7638 thumbprint>, typ: 'vc+jwt', cty: 'vc' }.
// Payload: the credential document itself (VC 2.0 style: no "vc" wrapper claim as in VC 1.1 JWTs).
//
// JWT claims: VC-JOSE-COSE allows registered claims next to the credential as long as they do not
// contradict it. Open Badges 3.0 (section 8.2, JSON Web Token proof format) expects them: iss = issuer id,
// jti = credential id, nbf = validFrom, exp = validUntil, sub = credentialSubject.id. So they are all
// *derived* from the credential and never set independently; generic JWT libraries then enforce validity
// dates and can route by issuer. iat (signing time) is added too: it is the only claim that tells when
// this particular signature was produced (a status list credential is re-signed whenever it changes).
// No aud: a credential is a bearer document for any verifier.
import { createLocalJWKSet, jwtVerify, SignJWT, type JSONWebKeySet, type JWTPayload } from 'jose';
import { CREDENTIAL_JWS_ALG, type CredentialKeyRing } from './signing-keys.js';

export const VC_JWT_TYP = 'vc+jwt';
export const VC_JWT_CTY = 'vc';

/** The minimum a credential needs to be signed (OpenBadgeCredential and BitstringStatusListCredential fit). */
export interface SignableCredential {
  '@context': readonly string[];
  id?: string;
  type: readonly string[];
  issuer: string | { id: string };
  validFrom?: string;
  validUntil?: string;
  credentialSubject: { id?: string } | readonly { id?: string }[];
}

export interface SignCredentialOptions {
  /** Signing time for iat; defaults to now. */
  now?: Date;
}

/** Signs the credential with the key ring's current key; returns the compact JWS. */
export async function signCredentialJwt<T extends SignableCredential>(
  credential: T,
  keyRing: CredentialKeyRing,
  options: SignCredentialOptions = {},
): Promise<string> {
  const claims = registeredClaims(credential);
  for (const name of ['iss', 'sub', 'jti', 'nbf', 'exp', 'iat', 'aud'] as const) {
    if (name in credential) throw new Error(`the credential must not carry the JWT claim "${name}" itself`);
  }
  const jwt = new SignJWT({ ...(credential as unknown as JWTPayload) })
    .setProtectedHeader({ alg: CREDENTIAL_JWS_ALG, kid: keyRing.current.kid, typ: VC_JWT_TYP, cty: VC_JWT_CTY })
    .setIssuer(claims.iss)
    .setIssuedAt(Math.floor((options.now ?? new Date()).getTime() / 1000));
  if (claims.jti) jwt.setJti(claims.jti);
  if (claims.sub) jwt.setSubject(claims.sub);
  if (claims.nbf !== undefined) jwt.setNotBefore(claims.nbf);
  if (claims.exp !== undefined) jwt.setExpirationTime(claims.exp);
  return jwt.sign(keyRing.current.privateKey);
}

export interface VerifiedCredential<T = Record<string, unknown>> {
  /** The credential, without the JWT registered claims. */
  credential: T;
  /** The kid of the key that verified the signature. */
  kid: string;
  /** The full JWT payload (credential + registered claims). */
  payload: JWTPayload;
}

export interface VerifyCredentialOptions {
  /** Reference time for nbf/exp (default now); tolerance is 60 s of clock skew. */
  currentDate?: Date;
  /** Expected issuer id (the iss claim and the credential's issuer). */
  issuer?: string;
}

/**
 * Verifies a VC-JWT against a JWK Set (e.g. the body of the issuer's JWKS endpoint): EdDSA signature by
 * the key named by kid, typ vc+jwt, nbf/exp, and that the registered claims agree with the credential.
 * Throws (jose errors for signature/claims, Error for inconsistencies). Does not check the status list.
 */
export async function verifyCredentialJwt<T = Record<string, unknown>>(
  jwt: string,
  jwks: JSONWebKeySet | { keys: readonly object[] },
  options: VerifyCredentialOptions = {},
): Promise<VerifiedCredential<T>> {
  const keySet = createLocalJWKSet(jwks as JSONWebKeySet);
  const { payload, protectedHeader } = await jwtVerify(jwt, keySet, {
    algorithms: [CREDENTIAL_JWS_ALG],
    typ: VC_JWT_TYP,
    issuer: options.issuer,
    currentDate: options.currentDate,
    clockTolerance: 60,
  });
  if (typeof protectedHeader.kid !== 'string') throw new Error('the VC-JWT header has no kid');
  if (protectedHeader.cty !== undefined && protectedHeader.cty !== VC_JWT_CTY) {
    throw new Error(`unexpected cty "${protectedHeader.cty}"`);
  }
  const { iss, sub, jti, nbf, exp, iat: _iat, ...rest } = payload;
  const credential = rest as unknown as SignableCredential;
  if (!Array.isArray(credential['@context']) || !Array.isArray(credential.type)) {
    throw new Error('the JWT payload is not a credential');
  }
  const expected = registeredClaims(credential);
  const mismatch =
    (iss !== expected.iss && 'iss') ||
    (jti !== expected.jti && 'jti') ||
    (sub !== expected.sub && 'sub') ||
    (nbf !== expected.nbf && 'nbf') ||
    (exp !== expected.exp && 'exp');
  if (mismatch) throw new Error(`the JWT claim "${mismatch}" contradicts the credential`);
  return { credential: rest as T, kid: protectedHeader.kid as string, payload };
}

interface RegisteredClaims {
  iss: string;
  jti?: string;
  sub?: string;
  nbf?: number;
  exp?: number;
}

function registeredClaims(credential: SignableCredential): RegisteredClaims {
  const iss = typeof credential.issuer === 'string' ? credential.issuer : credential.issuer?.id;
  if (typeof iss !== 'string' || !iss) throw new Error('the credential has no issuer id');
  const subject = Array.isArray(credential.credentialSubject)
    ? credential.credentialSubject.length === 1
      ? credential.credentialSubject[0]
      : undefined // several subjects: no single sub
    : (credential.credentialSubject as { id?: string });
  return {
    iss,
    jti: credential.id,
    sub: subject?.id,
    nbf: credential.validFrom === undefined ? undefined : epochSeconds(credential.validFrom, 'validFrom'),
    exp: credential.validUntil === undefined ? undefined : epochSeconds(credential.validUntil, 'validUntil'),
  };
}

function epochSeconds(value: string, field: string): number {
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw new Error(`${field} is not a valid date: ${value}`);
  return Math.floor(ms / 1000);
}
