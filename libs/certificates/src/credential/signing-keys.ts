// Ed25519 signing keys for certificate credentials (VC-JWT, alg EdDSA).
//
// CERTIFICATE_SIGNING_KEY holds the current private key (PKCS#8 PEM or a private JWK). Retired keys go,
// as public keys, into CERTIFICATE_SIGNING_PREVIOUS_KEYS so credentials signed before a rotation keep
// verifying through the published JWKS. Every key's `kid` is its RFC 7638 JWK thumbprint, so a rotation
// is just "move the old key to the previous list, set the new one": no key ids to configure.
import {
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type JsonWebKey,
  type KeyObject,
} from 'node:crypto';
import { link, mkdir, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';

/** File (under the data dir) holding the key generated outside production. */
export const DEV_SIGNING_KEY_FILE = 'certificate-signing-key.pem';

/** JWS algorithm of every credential signature. */
export const CREDENTIAL_JWS_ALG = 'EdDSA';

/** A public Ed25519 verification key as published in the JWKS (never carries `d`). */
export interface CredentialPublicJwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
  kid: string;
  alg: 'EdDSA';
  use: 'sig';
}

export interface CredentialSigningKey {
  /** RFC 7638 SHA-256 JWK thumbprint of the public key (base64url). */
  kid: string;
  privateKey: KeyObject;
  publicJwk: CredentialPublicJwk;
}

export interface CredentialKeyRing {
  /** The key new credentials are signed with. */
  readonly current: CredentialSigningKey;
  /** Public keys of retired signing keys, still published so that old credentials verify. */
  readonly previous: readonly CredentialPublicJwk[];
  /** JWK Set for GET .../jwks: the current key first, then the previous ones. Public members only. */
  jwks(): { keys: CredentialPublicJwk[] };
  /** The public key with this kid (current or previous), if any. */
  findPublicJwk(kid: string): CredentialPublicJwk | undefined;
}

export interface LoadSigningKeysOptions {
  /** CERTIFICATE_SIGNING_KEY: Ed25519 private key, PKCS#8 PEM or private JWK (JSON with `d`). */
  signingKey?: string;
  /** CERTIFICATE_SIGNING_PREVIOUS_KEYS: public keys of retired keys, a JSON array of JWKs or PEM blocks. */
  previousKeys?: string;
  /** Where a development key is generated and kept when signingKey is unset outside production. */
  dataDir: string;
  production: boolean;
}

/** Loads the key ring. Throws (with the offending setting named) on any unusable key. */
export async function loadSigningKeys(opts: LoadSigningKeysOptions): Promise<CredentialKeyRing> {
  const configured = opts.signingKey?.trim();
  let privateKey: KeyObject;
  if (configured) {
    privateKey = parsePrivateKey(configured, 'CERTIFICATE_SIGNING_KEY');
  } else if (opts.production) {
    throw new Error(
      'CERTIFICATE_SIGNING_KEY is required in production: set it to an Ed25519 private key ' +
        '(PKCS#8 PEM, e.g. `openssl genpkey -algorithm ed25519`, or a private JWK)',
    );
  } else {
    privateKey = await loadOrCreateDevKey(opts.dataDir);
  }

  const publicJwk = await toPublicJwk(createPublicKey(privateKey));
  const current: CredentialSigningKey = { kid: publicJwk.kid, privateKey, publicJwk };

  const previous: CredentialPublicJwk[] = [];
  const seen = new Set([current.kid]);
  for (const key of parsePublicKeyList(opts.previousKeys, 'CERTIFICATE_SIGNING_PREVIOUS_KEYS')) {
    const jwk = await toPublicJwk(key);
    if (seen.has(jwk.kid)) continue; // the current key, or a duplicate
    seen.add(jwk.kid);
    previous.push(jwk);
  }

  const all = [current.publicJwk, ...previous];
  return {
    current,
    previous,
    jwks: () => ({ keys: all.map((k) => ({ ...k })) }),
    findPublicJwk: (kid) => {
      const found = all.find((k) => k.kid === kid);
      return found && { ...found };
    },
  };
}

/** Generates a new Ed25519 private key as PKCS#8 PEM (what CERTIFICATE_SIGNING_KEY expects). */
export function generateSigningKeyPem(): string {
  const { privateKey } = generateKeyPairSync('ed25519');
  return privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
}

/** RFC 7638 thumbprint (the kid) of an Ed25519 public key. */
export async function ed25519Thumbprint(key: KeyObject): Promise<string> {
  return (await toPublicJwk(key)).kid;
}

// --- parsing -----------------------------------------------------------------------------------------

function parsePrivateKey(value: string, setting: string): KeyObject {
  const text = unescapeNewlines(value);
  let key: KeyObject;
  try {
    if (text.startsWith('{')) {
      const jwk = parseJson(text, setting);
      if (!isObject(jwk)) throw new Error('not a JWK object');
      if (typeof jwk.d !== 'string') throw new Error('the JWK has no "d": it is not a private key');
      key = createPrivateKey({ key: jwk as JsonWebKey, format: 'jwk' });
    } else if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(text)) {
      key = createPrivateKey({ key: text, format: 'pem' });
    } else {
      throw new Error('expected a PKCS#8 PEM ("-----BEGIN PRIVATE KEY-----") or a private JWK (JSON)');
    }
  } catch (err) {
    throw new Error(`${setting} is not a valid private key: ${errorMessage(err)}`, { cause: err });
  }
  assertEd25519(key, setting);
  return key;
}

/**
 * Public keys from a JSON array of JWKs (a single JWK or a {"keys": [...]} set is accepted too) or from
 * concatenated PEM blocks. A private key given here is reduced to its public part: only the public key
 * is ever kept or published.
 */
function parsePublicKeyList(value: string | undefined, setting: string): KeyObject[] {
  const text = value ? unescapeNewlines(value) : '';
  if (!text) return [];
  const keys: KeyObject[] = [];
  if (text.startsWith('[') || text.startsWith('{')) {
    const parsed = parseJson(text, setting);
    const list: unknown[] = Array.isArray(parsed)
      ? parsed
      : isObject(parsed) && Array.isArray(parsed.keys)
        ? parsed.keys
        : [parsed];
    list.forEach((entry, i) => {
      const label = `${setting}[${i}]`;
      if (!isObject(entry)) throw new Error(`${label} is not a JWK object`);
      const jwk = entry as unknown as JsonWebKey;
      let key: KeyObject;
      try {
        key = createPublicKey(
          typeof jwk.d === 'string' ? createPrivateKey({ key: jwk, format: 'jwk' }) : { key: jwk, format: 'jwk' },
        );
      } catch (err) {
        throw new Error(`${label} is not a valid JWK: ${errorMessage(err)}`, { cause: err });
      }
      assertEd25519(key, label);
      keys.push(key);
    });
    return keys;
  }
  const blocks = text.match(/-----BEGIN ([A-Z ]+)-----[\s\S]+?-----END \1-----/g);
  if (!blocks) {
    throw new Error(`${setting} must be a JSON array of public JWKs or PEM "PUBLIC KEY" blocks`);
  }
  blocks.forEach((pem, i) => {
    const label = `${setting} (PEM block ${i + 1})`;
    let key: KeyObject;
    try {
      key = createPublicKey({ key: pem, format: 'pem' }); // also accepts a private key: public part only
    } catch (err) {
      throw new Error(`${label} is not a valid key: ${errorMessage(err)}`, { cause: err });
    }
    assertEd25519(key, label);
    keys.push(key);
  });
  return keys;
}

function assertEd25519(key: KeyObject, label: string): void {
  if (key.asymmetricKeyType !== 'ed25519') {
    const kind = key.asymmetricKeyType ?? key.type;
    const detail = kind === 'ec' ? `ec (${key.asymmetricKeyDetails?.namedCurve ?? 'unknown curve'})` : kind;
    throw new Error(`${label} must be an Ed25519 key (credentials are signed with EdDSA), got ${detail}`);
  }
}

async function toPublicJwk(key: KeyObject): Promise<CredentialPublicJwk> {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  const { x } = publicKey.export({ format: 'jwk' });
  if (typeof x !== 'string') throw new Error('could not export the Ed25519 public key');
  const kid = await calculateJwkThumbprint({ kty: 'OKP', crv: 'Ed25519', x }, 'sha256');
  return { kty: 'OKP', crv: 'Ed25519', x, kid, alg: 'EdDSA', use: 'sig' };
}

// --- development key ---------------------------------------------------------------------------------

/**
 * Reads <dataDir>/certificate-signing-key.pem, creating it (0600) on first start. The key is written to
 * a temporary file and hard-linked into place, so processes starting together (API, worker) can never
 * read a half-written file and all end up with the same key.
 */
async function loadOrCreateDevKey(dataDir: string): Promise<KeyObject> {
  const file = join(dataDir, DEV_SIGNING_KEY_FILE);
  const existing = await readIfExists(file);
  if (existing !== null) return parsePrivateKey(existing, file);

  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  await writeFile(tmp, generateSigningKeyPem(), { mode: 0o600, flag: 'wx' });
  try {
    await link(tmp, file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err; // another process won the race
  } finally {
    await unlink(tmp).catch(() => undefined);
  }
  return parsePrivateKey(await readFile(file, 'utf8'), file);
}

async function readIfExists(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

// --- helpers -----------------------------------------------------------------------------------------

/** Env files often carry a PEM on one line with literal "\n" sequences. */
function unescapeNewlines(value: string): string {
  const text = value.trim();
  return text.includes('-----BEGIN') && !text.includes('\n') ? text.replace(/\\n/g, '\n') : text;
}

function parseJson(text: string, setting: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`${setting} is not valid JSON: ${errorMessage(err)}`, { cause: err });
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
