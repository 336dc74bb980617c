// Open Badges 3.0 OpenBadgeCredential (VC Data Model 2.0) for a course certificate, and the issuer Profile.
// https://www.imsglobal.org/spec/ob/v3p0/ , https://www.w3.org/TR/vc-data-model-2.0/
import { createHash } from 'node:crypto';
import { OB_V3_CONTEXT, toDateTimeStamp, VC_V2_CONTEXT } from './vc-common.js';

export { OB_V3_CONTEXT, VC_V2_CONTEXT } from './vc-common.js';

/** 1EdTech JSON Schema of an OpenBadgeCredential (lets OB3 validators check the shape). */
export const OB_V3_CREDENTIAL_SCHEMA = {
  id: 'https://purl.imsglobal.org/spec/ob/v3p0/schema/json/ob_v3p0_achievementcredential_schema.json',
  type: '1EdTechJsonSchemaValidator2019',
} as const;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface IssuerProfileInput {
  /** Issuer profile URL, i.e. where GET /certificates/issuer is served. */
  id: string;
  /** Organization name shown to verifiers. */
  name: string;
  /** Organization home page. */
  url: string;
  email?: string;
  description?: string;
  /** Logo URL. */
  imageUrl?: string;
}

export interface OpenBadgeCredentialInput {
  certificate: {
    /** Certificate UUID (becomes urn:uuid:...) or any absolute URI, e.g. its public verification URL. */
    id: string;
    /** Human-facing certificate number (e.g. "LMS-2026-000123"), repeated in the credential description. */
    number?: string;
    issuedAt: Date | string;
    /** Optional expiry (validUntil / JWT exp); course certificates normally have none. */
    validUntil?: Date | string;
  };
  issuer: IssuerProfileInput;
  recipient: {
    /** Student's display name; published in clear as an IdentityObject of identityType "name". */
    name?: string;
    /** Student's email; published only as a salted SHA-256 hash (IdentityObject, identityType "emailAddress"). */
    email?: string;
    /**
     * Salt for the email hash. Defaults to one derived from the certificate id, so the builder is
     * deterministic (the salt is published next to the hash in any case; it only defeats precomputed
     * tables across credentials).
     */
    salt?: string;
    /** Optional recipient URI (DID or profile URL) for credentialSubject.id. */
    id?: string;
  };
  achievement: {
    /** Course URL (the achievement's id). */
    id: string;
    /** Course title. */
    name: string;
    description: string;
    /** How the certificate is earned; defaults to a sentence built from the course title. */
    criteriaNarrative?: string;
    /** Badge / certificate image URL. */
    imageUrl?: string;
  };
  status: {
    /** URL of the BitstringStatusListCredential. */
    listCredentialUrl: string;
    /** This certificate's bit in that list. */
    index: number;
  };
}

export interface IssuerProfile {
  id: string;
  type: ['Profile'];
  name: string;
  url: string;
  email?: string;
  description?: string;
  image?: { id: string; type: 'Image' };
}

export interface IdentityObject {
  type: 'IdentityObject';
  identityType: 'emailAddress' | 'name';
  hashed: boolean;
  identityHash: string;
  salt?: string;
}

export interface BitstringStatusListEntry {
  id: string;
  type: 'BitstringStatusListEntry';
  statusPurpose: 'revocation';
  statusListIndex: string;
  statusListCredential: string;
}

export interface OpenBadgeCredential {
  '@context': [typeof VC_V2_CONTEXT, typeof OB_V3_CONTEXT];
  id: string;
  type: ['VerifiableCredential', 'OpenBadgeCredential'];
  name: string;
  description?: string;
  issuer: IssuerProfile;
  validFrom: string;
  validUntil?: string;
  awardedDate: string;
  credentialSubject: {
    id?: string;
    type: ['AchievementSubject'];
    identifier?: IdentityObject[];
    achievement: {
      id: string;
      type: ['Achievement'];
      name: string;
      description: string;
      criteria: { narrative: string };
      achievementType: 'Certificate';
      image?: { id: string; type: 'Image' };
    };
  };
  credentialStatus: BitstringStatusListEntry;
  credentialSchema: [typeof OB_V3_CREDENTIAL_SCHEMA];
}

/** The (unsigned) OpenBadgeCredential of a certificate. Pure: the same input gives the same document. */
export function buildOpenBadgeCredential(input: OpenBadgeCredentialInput): OpenBadgeCredential {
  const { certificate, recipient, achievement, status } = input;
  if (!Number.isSafeInteger(status.index) || status.index < 0) {
    throw new RangeError(`status index must be a non-negative integer, got ${status.index}`);
  }
  const id = credentialUri(certificate.id);
  const issuedAt = toDateTimeStamp(certificate.issuedAt, 'certificate.issuedAt');

  const identifier: IdentityObject[] = [];
  if (recipient.name) {
    identifier.push({ type: 'IdentityObject', identityType: 'name', hashed: false, identityHash: recipient.name });
  }
  if (recipient.email) {
    const salt = recipient.salt ?? createHash('sha256').update(`ob3-identity-salt:${id}`).digest('hex').slice(0, 32);
    identifier.push({
      type: 'IdentityObject',
      identityType: 'emailAddress',
      hashed: true,
      identityHash: hashIdentity(recipient.email.trim().toLowerCase(), salt),
      salt,
    });
  }
  if (!recipient.id && identifier.length === 0) {
    throw new Error('the recipient needs an id, a name or an email');
  }

  const credential: OpenBadgeCredential = {
    '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT],
    id,
    type: ['VerifiableCredential', 'OpenBadgeCredential'],
    name: achievement.name,
    issuer: buildIssuerProfileObject(input.issuer),
    validFrom: issuedAt,
    awardedDate: issuedAt,
    credentialSubject: {
      type: ['AchievementSubject'],
      achievement: {
        id: achievement.id,
        type: ['Achievement'],
        name: achievement.name,
        description: achievement.description,
        criteria: {
          narrative: achievement.criteriaNarrative ?? `Completed the course "${achievement.name}".`,
        },
        achievementType: 'Certificate',
      },
    },
    credentialStatus: {
      id: `${status.listCredentialUrl}#${status.index}`,
      type: 'BitstringStatusListEntry',
      statusPurpose: 'revocation',
      statusListIndex: String(status.index),
      statusListCredential: status.listCredentialUrl,
    },
    credentialSchema: [OB_V3_CREDENTIAL_SCHEMA],
  };
  if (certificate.number) credential.description = `Certificate ${certificate.number}`;
  if (certificate.validUntil !== undefined) {
    credential.validUntil = toDateTimeStamp(certificate.validUntil, 'certificate.validUntil');
  }
  if (recipient.id) credential.credentialSubject.id = recipient.id;
  if (identifier.length > 0) credential.credentialSubject.identifier = identifier;
  if (achievement.imageUrl)
    credential.credentialSubject.achievement.image = { id: achievement.imageUrl, type: 'Image' };
  return credential;
}

/**
 * The issuer Profile document for GET /certificates/issuer (its URL is the profile id). Open Badges 3.0
 * defines no key property on Profile, so the keys are not embedded: verifiers match the VC-JWT header's kid
 * against the JWKS endpoint.
 */
export function buildIssuerProfile(input: IssuerProfileInput): IssuerProfile & { '@context': string[] } {
  return { '@context': [VC_V2_CONTEXT, OB_V3_CONTEXT], ...buildIssuerProfileObject(input) };
}

/** "sha256$" + hex SHA-256 of identity + salt (the Open Badges IdentityObject hash). */
export function hashIdentity(identity: string, salt: string): string {
  return `sha256$${createHash('sha256')
    .update(identity + salt)
    .digest('hex')}`;
}

/** A bare UUID becomes urn:uuid:<uuid>; any other value must already be an absolute URI. */
export function credentialUri(id: string): string {
  if (UUID.test(id)) return `urn:uuid:${id.toLowerCase()}`;
  if (!/^[a-z][a-z0-9+.-]*:/i.test(id)) throw new Error(`credential id must be a UUID or an absolute URI: ${id}`);
  return id;
}

function buildIssuerProfileObject(input: IssuerProfileInput): IssuerProfile {
  const profile: IssuerProfile = { id: input.id, type: ['Profile'], name: input.name, url: input.url };
  if (input.email) profile.email = input.email;
  if (input.description) profile.description = input.description;
  if (input.imageUrl) profile.image = { id: input.imageUrl, type: 'Image' };
  return profile;
}
