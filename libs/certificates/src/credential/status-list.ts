// W3C Bitstring Status List v1.0 (https://www.w3.org/TR/vc-bitstring-status-list/), revocation purpose.
//
// Why a status list rather than a per-certificate status endpoint: a verifier fetches one (signed, cacheable)
// list of 131072 entries and reads one bit, so the issuer never learns which certificate is being checked
// ("herd privacy"), the list can be served from a CDN/static file, and it is the mechanism Open Badges 3.0
// and VC 2.0 wallets/verifiers implement. A per-credential endpoint would leak every verification.
import { randomInt } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import { toDateTimeStamp, VC_V2_CONTEXT } from './vc-common.js';

/** The spec's minimum list length (16 KiB of bits), so that one entry hides among many. */
export const MIN_STATUS_LIST_LENGTH = 131_072;
/** Largest decoded list accepted from an encodedList (guards against GZIP bombs): 16 MiB. */
export const MAX_STATUS_LIST_BYTES = 16 * 1024 * 1024;

export type StatusPurpose = 'revocation';

/**
 * The GZIP-compressed bitstring, base64url without padding, with the multibase prefix "u".
 * Bit i is bit (7 - i % 8) of byte floor(i / 8): index 0 is the leftmost (most significant) bit of the
 * first byte. `length` (bits) is rounded up to whole bytes and must be at least 131072.
 */
export function encodeStatusList(revokedIndexes: Iterable<number>, length: number = MIN_STATUS_LIST_LENGTH): string {
  if (!Number.isSafeInteger(length) || length < MIN_STATUS_LIST_LENGTH) {
    throw new RangeError(`status list length must be an integer >= ${MIN_STATUS_LIST_LENGTH}, got ${length}`);
  }
  const bits = new Uint8Array(Math.ceil(length / 8));
  for (const index of revokedIndexes) {
    assertIndex(index, length);
    bits[index >> 3] |= 0x80 >> (index & 7);
  }
  return 'u' + gzipSync(bits, { level: 9 }).toString('base64url');
}

/** The uncompressed bitstring of an encodedList (see encodeStatusList for the bit order). */
export function decodeStatusList(encoded: string): Uint8Array {
  if (typeof encoded !== 'string' || !encoded.startsWith('u')) {
    throw new Error('encodedList must be multibase base64url (prefix "u")');
  }
  const body = encoded.slice(1);
  if (!/^[A-Za-z0-9_-]*$/.test(body)) throw new Error('encodedList is not valid base64url');
  let bits: Buffer;
  try {
    bits = gunzipSync(Buffer.from(body, 'base64url'), { maxOutputLength: MAX_STATUS_LIST_BYTES });
  } catch (err) {
    throw new Error(`encodedList is not a GZIP-compressed bitstring: ${(err as Error).message}`, { cause: err });
  }
  if (bits.length * 8 < MIN_STATUS_LIST_LENGTH) {
    // The spec's STATUS_LIST_LENGTH_ERROR.
    throw new Error(`status list is shorter than ${MIN_STATUS_LIST_LENGTH} bits (${bits.length * 8})`);
  }
  return new Uint8Array(bits.buffer, bits.byteOffset, bits.length);
}

/** Reads one status bit of a decoded bitstring. Throws RangeError outside the list (the spec's RANGE_ERROR). */
export function getStatusBit(bitstring: Uint8Array, index: number): boolean {
  assertIndex(index, bitstring.length * 8);
  return (bitstring[index >> 3] & (0x80 >> (index & 7))) !== 0;
}

/** Whether the credential at statusListIndex `index` is revoked in this encodedList. */
export function isRevoked(encoded: string, index: number): boolean {
  return getStatusBit(decodeStatusList(encoded), index);
}

/**
 * Picks a random index not in `taken`. The spec recommends random (not sequential) assignment, so an
 * index reveals nothing about issuance order or volume. Throws when the list is full.
 */
export function allocateStatusListIndex(taken: ReadonlySet<number>, length: number = MIN_STATUS_LIST_LENGTH): number {
  if (taken.size >= length) throw new RangeError('status list is full');
  for (let attempt = 0; attempt < 64; attempt++) {
    const candidate = randomInt(length);
    if (!taken.has(candidate)) return candidate;
  }
  // Nearly full: scan from a random start.
  const start = randomInt(length);
  for (let i = 0; i < length; i++) {
    const candidate = (start + i) % length;
    if (!taken.has(candidate)) return candidate;
  }
  throw new RangeError('status list is full');
}

export interface StatusListCredentialInput {
  /** URL the status list credential is served at (= credentialStatus.statusListCredential). */
  id: string;
  /** The issuer profile id, the same issuer as the credentials whose status it carries. */
  issuerId: string;
  /** When this version of the list was produced. */
  validFrom: Date | string;
  /** Optional end of validity, prompting verifiers to fetch a fresh list. */
  validUntil?: Date | string;
  encodedList: string;
  purpose: StatusPurpose;
  /** Optional caching hint for verifiers, in milliseconds (the spec's `ttl`). */
  ttlMs?: number;
}

export interface BitstringStatusListCredential {
  '@context': string[];
  id: string;
  type: ['VerifiableCredential', 'BitstringStatusListCredential'];
  issuer: string;
  validFrom: string;
  validUntil?: string;
  credentialSubject: {
    id: string;
    type: 'BitstringStatusList';
    statusPurpose: StatusPurpose;
    encodedList: string;
    ttl?: number;
  };
}

/** The (unsigned) BitstringStatusListCredential; sign it with signCredentialJwt like any credential. */
export function buildStatusListCredential(input: StatusListCredentialInput): BitstringStatusListCredential {
  decodeStatusList(input.encodedList); // fail early on a malformed or too short list
  const credential: BitstringStatusListCredential = {
    '@context': [VC_V2_CONTEXT], // BitstringStatusList terms are part of the VC 2.0 context
    id: input.id,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: input.issuerId,
    validFrom: toDateTimeStamp(input.validFrom, 'validFrom'),
    credentialSubject: {
      id: `${input.id}#list`,
      type: 'BitstringStatusList',
      statusPurpose: input.purpose,
      encodedList: input.encodedList,
    },
  };
  if (input.validUntil !== undefined) credential.validUntil = toDateTimeStamp(input.validUntil, 'validUntil');
  if (input.ttlMs !== undefined) credential.credentialSubject.ttl = input.ttlMs;
  return credential;
}

function assertIndex(index: number, length: number): void {
  if (!Number.isSafeInteger(index) || index < 0 || index >= length) {
    throw new RangeError(`status list index ${index} is outside 0..${length - 1}`);
  }
}
