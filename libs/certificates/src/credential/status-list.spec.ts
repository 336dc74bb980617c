import { gzipSync } from 'node:zlib';
import {
  allocateStatusListIndex,
  buildStatusListCredential,
  decodeStatusList,
  encodeStatusList,
  getStatusBit,
  isRevoked,
  MIN_STATUS_LIST_LENGTH,
} from './status-list.js';

describe('bitstring status list', () => {
  const last = MIN_STATUS_LIST_LENGTH - 1;

  it('encodes an empty list as all zeros of the right length, compressed small', () => {
    const encoded = encodeStatusList([]);
    expect(encoded.startsWith('u')).toBe(true);
    expect(encoded.slice(1)).toMatch(/^[A-Za-z0-9_-]+$/); // base64url, no padding
    expect(encoded.length).toBeLessThan(300); // 16 KiB of zeros gzip to a few dozen bytes
    const bits = decodeStatusList(encoded);
    expect(bits.length).toBe(MIN_STATUS_LIST_LENGTH / 8);
    expect(bits.every((b) => b === 0)).toBe(true);
  });

  it('round-trips revoked indexes, including index 0 and the last index', () => {
    const revoked = [0, 7, 8, 1234, 99_999, last];
    const encoded = encodeStatusList(revoked);
    for (const i of revoked) expect(isRevoked(encoded, i)).toBe(true);
    for (const i of [1, 6, 9, 1233, 1235, last - 1]) expect(isRevoked(encoded, i)).toBe(false);
    const bits = decodeStatusList(encoded);
    let count = 0;
    for (let i = 0; i < MIN_STATUS_LIST_LENGTH; i++) if (getStatusBit(bits, i)) count++;
    expect(count).toBe(revoked.length);
  });

  it('puts index 0 in the leftmost bit of the first byte', () => {
    const bits = decodeStatusList(encodeStatusList([0, last]));
    expect(bits[0]).toBe(0b1000_0000);
    expect(bits[bits.length - 1]).toBe(0b0000_0001);
  });

  it('sets and unsets a revocation across versions of the list', () => {
    const revoked = new Set([42]);
    const v1 = encodeStatusList(revoked);
    expect(isRevoked(v1, 42)).toBe(true);
    revoked.delete(42);
    revoked.add(43);
    const v2 = encodeStatusList(revoked);
    expect(isRevoked(v2, 42)).toBe(false);
    expect(isRevoked(v2, 43)).toBe(true);
  });

  it('rejects bad indexes, short lists and malformed input', () => {
    expect(() => encodeStatusList([MIN_STATUS_LIST_LENGTH])).toThrow(RangeError);
    expect(() => encodeStatusList([-1])).toThrow(RangeError);
    expect(() => encodeStatusList([1.5])).toThrow(RangeError);
    expect(() => encodeStatusList([], 1024)).toThrow(RangeError);
    const encoded = encodeStatusList([]);
    expect(() => isRevoked(encoded, MIN_STATUS_LIST_LENGTH)).toThrow(RangeError);
    expect(() => decodeStatusList(encoded.slice(1))).toThrow(/prefix "u"/);
    expect(() => decodeStatusList('uAAAA')).toThrow(/GZIP/);
    expect(() => decodeStatusList('u' + gzipSync(new Uint8Array(1024)).toString('base64url'))).toThrow(/shorter/);
  });

  it('supports longer lists', () => {
    const length = MIN_STATUS_LIST_LENGTH * 2;
    const encoded = encodeStatusList([length - 1], length);
    expect(decodeStatusList(encoded).length).toBe(length / 8);
    expect(isRevoked(encoded, length - 1)).toBe(true);
  });

  it('allocates random free indexes', () => {
    const taken = new Set<number>();
    for (let i = 0; i < 100; i++) {
      const index = allocateStatusListIndex(taken);
      expect(taken.has(index)).toBe(false);
      expect(index).toBeGreaterThanOrEqual(0);
      expect(index).toBeLessThan(MIN_STATUS_LIST_LENGTH);
      taken.add(index);
    }
    const almostFull = new Set(Array.from({ length: 9 }, (_, i) => i));
    expect(allocateStatusListIndex(almostFull, 10)).toBe(9);
    expect(() => allocateStatusListIndex(new Set([0]), 1)).toThrow('full');
  });

  it('builds a BitstringStatusListCredential', () => {
    const encodedList = encodeStatusList([3]);
    const credential = buildStatusListCredential({
      id: 'https://lms.example.com/certificates/status/1',
      issuerId: 'https://lms.example.com/certificates/issuer',
      validFrom: new Date('2026-12-01T10:00:00.250Z'),
      encodedList,
      purpose: 'revocation',
    });
    expect(credential).toEqual({
      '@context': ['https://www.w3.org/ns/credentials/v2'],
      id: 'https://lms.example.com/certificates/status/1',
      type: ['VerifiableCredential', 'BitstringStatusListCredential'],
      issuer: 'https://lms.example.com/certificates/issuer',
      validFrom: '2026-12-01T10:00:00Z',
      credentialSubject: {
        id: 'https://lms.example.com/certificates/status/1#list',
        type: 'BitstringStatusList',
        statusPurpose: 'revocation',
        encodedList,
      },
    });
    expect(() =>
      buildStatusListCredential({
        id: 'x:y',
        issuerId: 'x:z',
        validFrom: 'nope',
        encodedList,
        purpose: 'revocation',
      }),
    ).toThrow(/validFrom/);
  });
});
