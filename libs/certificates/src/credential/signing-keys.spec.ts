import { createPrivateKey, createPublicKey, generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEV_SIGNING_KEY_FILE, generateSigningKeyPem, loadSigningKeys } from './signing-keys.js';

describe('loadSigningKeys', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = join(mkdtempSync(join(tmpdir(), 'lms-cred-keys-')), 'nested', 'data');
  });
  afterEach(() => rmSync(join(dataDir, '..', '..'), { recursive: true, force: true }));

  it('generates a development key once (0600, dir created) and reuses it on the next start', async () => {
    const first = await loadSigningKeys({ dataDir, production: false });
    const file = join(dataDir, DEV_SIGNING_KEY_FILE);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    const second = await loadSigningKeys({ dataDir, production: false });
    expect(second.current.kid).toBe(first.current.kid);
    expect(first.current.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('agrees on one key when several processes start at once', async () => {
    const rings = await Promise.all([1, 2, 3, 4].map(() => loadSigningKeys({ dataDir, production: false })));
    expect(new Set(rings.map((r) => r.current.kid)).size).toBe(1);
  });

  it('requires the key in production', async () => {
    await expect(loadSigningKeys({ dataDir, production: true })).rejects.toThrow(
      'CERTIFICATE_SIGNING_KEY is required in production',
    );
    await expect(loadSigningKeys({ signingKey: '  ', dataDir, production: true })).rejects.toThrow(
      'CERTIFICATE_SIGNING_KEY is required in production',
    );
  });

  it('gives the same kid for the PEM and the JWK form of a key', async () => {
    const pem = generateSigningKeyPem();
    const jwk = createPrivateKey(pem).export({ format: 'jwk' });
    const fromPem = await loadSigningKeys({ signingKey: pem, dataDir, production: true });
    const fromJwk = await loadSigningKeys({ signingKey: JSON.stringify(jwk), dataDir, production: true });
    const fromEscaped = await loadSigningKeys({
      signingKey: pem.trim().replace(/\n/g, '\\n'),
      dataDir,
      production: true,
    });
    expect(fromJwk.current.kid).toBe(fromPem.current.kid);
    expect(fromEscaped.current.kid).toBe(fromPem.current.kid);
    expect(fromPem.current.publicJwk).toEqual({
      kty: 'OKP',
      crv: 'Ed25519',
      x: jwk.x,
      kid: fromPem.current.kid,
      alg: 'EdDSA',
      use: 'sig',
    });
  });

  it('refuses RSA and P-256 keys, public-only JWKs and garbage', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const p256 = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const load = (signingKey: string) => loadSigningKeys({ signingKey, dataDir, production: true });
    await expect(load(rsa.export({ type: 'pkcs8', format: 'pem' }).toString())).rejects.toThrow(
      /must be an Ed25519 key.*got rsa/,
    );
    await expect(load(JSON.stringify(rsa.export({ format: 'jwk' })))).rejects.toThrow(/must be an Ed25519 key/);
    await expect(load(p256.export({ type: 'pkcs8', format: 'pem' }).toString())).rejects.toThrow(
      /must be an Ed25519 key.*got ec \(prime256v1\)/,
    );
    await expect(load(JSON.stringify(p256.export({ format: 'jwk' })))).rejects.toThrow(/must be an Ed25519 key/);
    const { d: _d, ...publicJwk } = createPrivateKey(generateSigningKeyPem()).export({ format: 'jwk' });
    await expect(load(JSON.stringify(publicJwk))).rejects.toThrow(/not a private key/);
    await expect(load('not a key')).rejects.toThrow(/CERTIFICATE_SIGNING_KEY is not a valid private key/);
    await expect(
      loadSigningKeys({
        signingKey: generateSigningKeyPem(),
        previousKeys: createPublicKey(p256).export({ type: 'spki', format: 'pem' }).toString(),
        dataDir,
        production: true,
      }),
    ).rejects.toThrow(/CERTIFICATE_SIGNING_PREVIOUS_KEYS.*must be an Ed25519 key/);
  });

  it('publishes current and previous public keys, never d', async () => {
    const current = generateSigningKeyPem();
    const oldA = generateSigningKeyPem();
    const oldB = generateSigningKeyPem();
    const oldAJwk = createPublicKey(oldA).export({ format: 'jwk' });
    const oldBSpki = createPublicKey(oldB).export({ type: 'spki', format: 'pem' }).toString();
    const kidA = (await loadSigningKeys({ signingKey: oldA, dataDir, production: true })).current.kid;
    const kidB = (await loadSigningKeys({ signingKey: oldB, dataDir, production: true })).current.kid;

    // JSON array form (an old private JWK is reduced to its public part; the current key is not repeated)
    const fromJson = await loadSigningKeys({
      signingKey: current,
      previousKeys: JSON.stringify([
        oldAJwk,
        createPrivateKey(oldB).export({ format: 'jwk' }),
        createPrivateKey(current).export({ format: 'jwk' }),
      ]),
      dataDir,
      production: true,
    });
    // concatenated PEM form
    const fromPem = await loadSigningKeys({
      signingKey: current,
      previousKeys: createPublicKey(oldA).export({ type: 'spki', format: 'pem' }).toString() + oldBSpki,
      dataDir,
      production: true,
    });
    for (const ring of [fromJson, fromPem]) {
      const { keys } = ring.jwks();
      expect(keys.map((k) => k.kid)).toEqual([ring.current.kid, kidA, kidB]);
      for (const key of keys) {
        expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);
        expect(key).not.toHaveProperty('d');
      }
      expect(JSON.stringify(ring.jwks())).not.toContain('"d"');
      expect(ring.findPublicJwk(kidB)?.x).toBe(createPublicKey(oldB).export({ format: 'jwk' }).x);
      expect(ring.findPublicJwk('nope')).toBeUndefined();
    }
  });
});
