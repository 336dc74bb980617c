import { jest } from '@jest/globals';
import type { LookupFn } from './lookup.js';
import { checkWebhookUrl, MAX_WEBHOOK_URL_LENGTH } from './url-policy.js';

/** Resolves every name to `addresses`, recording the names asked for. */
function fixedLookup(...addresses: string[]) {
  return jest.fn<LookupFn>(async () =>
    addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
  );
}

const publicLookup = () => fixedLookup('93.184.215.14');

describe('checkWebhookUrl', () => {
  it('allows a public host (resolved through the injected lookup)', async () => {
    const lookup = publicLookup();
    const res = await checkWebhookUrl('https://hooks.example.com/lms?x=1', { allowPrivate: false, lookup });
    expect(res).toEqual({ ok: true, url: new URL('https://hooks.example.com/lms?x=1') });
    expect(lookup).toHaveBeenCalledWith('hooks.example.com');
  });

  it.each([
    ['http://127.0.0.1/', '127.0.0.1'],
    ['http://2130706433/', '127.0.0.1'],
    ['http://0177.0.0.1/', '127.0.0.1'],
    ['http://0x7f000001/', '127.0.0.1'],
    ['http://0x7f.1/', '127.0.0.1'],
    ['http://127.1/', '127.0.0.1'],
    ['http://[::1]/', '[::1]'],
    ['http://[::ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://[::ffff:7f00:1]/', '[::ffff:7f00:1]'],
    ['http://[0:0:0:0:0:ffff:127.0.0.1]/', '[::ffff:7f00:1]'],
    ['http://10.0.0.1/', '10.0.0.1'],
    ['http://012.0.0.1/', '10.0.0.1'],
    ['http://172.16.0.1/', '172.16.0.1'],
    ['http://192.168.1.1/', '192.168.1.1'],
    ['http://3232235777/', '192.168.1.1'],
    ['http://100.64.0.1/', '100.64.0.1'],
    ['http://[fc00::1]/', '[fc00::1]'],
    ['http://[64:ff9b::7f00:1]/', '[64:ff9b::7f00:1]'],
    ['http://[2002:7f00:1::]/', '[2002:7f00:1::]'],
  ])('refuses the loopback/private literal %s (normalised to %s) unless allowPrivate', async (raw, normalised) => {
    // The normalisation is WHATWG URL's: the check classifies what `new URL()` made of the host.
    expect(new URL(raw).hostname).toBe(normalised);
    const lookup = publicLookup();
    const res = await checkWebhookUrl(raw, { allowPrivate: false, lookup });
    expect(res).toMatchObject({ ok: false, reason: 'forbidden_address' });
    expect(await checkWebhookUrl(raw, { allowPrivate: true, lookup })).toMatchObject({ ok: true });
    expect(lookup).not.toHaveBeenCalled();
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254'],
    ['http://2852039166/', '169.254.169.254'],
    ['http://0xa9fea9fe/', '169.254.169.254'],
    ['http://[::ffff:169.254.169.254]/', '[::ffff:a9fe:a9fe]'],
    ['http://[fd00:ec2::254]/', '[fd00:ec2::254]'],
    ['http://[fe80::1]/', '[fe80::1]'],
    ['http://0.0.0.0/', '0.0.0.0'],
    ['http://0/', '0.0.0.0'],
    ['http://[::]/', '[::]'],
    ['http://224.0.0.1/', '224.0.0.1'],
    ['http://255.255.255.255/', '255.255.255.255'],
    ['http://240.0.0.1/', '240.0.0.1'],
  ])('always refuses %s (normalised to %s), even with allowPrivate', async (raw, normalised) => {
    expect(new URL(raw).hostname).toBe(normalised);
    for (const allowPrivate of [false, true]) {
      expect(await checkWebhookUrl(raw, { allowPrivate, lookup: publicLookup() })).toMatchObject({
        ok: false,
        reason: 'forbidden_address',
      });
    }
  });

  it.each([
    ['ftp://example.com/', 'scheme_not_allowed'],
    ['file:///etc/passwd', 'scheme_not_allowed'],
    ['gopher://example.com/', 'scheme_not_allowed'],
    ['javascript:alert(1)', 'scheme_not_allowed'],
    ['http://user:pass@example.com/', 'credentials_not_allowed'],
    ['http://user@example.com/', 'credentials_not_allowed'],
    ['https://:pass@example.com/', 'credentials_not_allowed'],
    ['not a url', 'invalid_url'],
    ['http://exa mple.com/', 'invalid_url'],
    ['', 'invalid_url'],
  ])('refuses %s (%s) even with allowPrivate', async (raw, reason) => {
    for (const allowPrivate of [false, true]) {
      expect(await checkWebhookUrl(raw, { allowPrivate, lookup: publicLookup() })).toMatchObject({ ok: false, reason });
    }
  });

  it('limits the length', async () => {
    const base = 'https://hooks.example.com/';
    const atLimit = base + 'a'.repeat(MAX_WEBHOOK_URL_LENGTH - base.length);
    expect(await checkWebhookUrl(atLimit, { allowPrivate: false, lookup: publicLookup() })).toMatchObject({ ok: true });
    expect(await checkWebhookUrl(atLimit + 'a', { allowPrivate: false, lookup: publicLookup() })).toMatchObject({
      ok: false,
      reason: 'too_long',
    });
  });

  it.each([
    'http://localhost/',
    'http://LOCALHOST:3000/',
    'http://localhost./',
    'http://foo.localhost/',
    'http://a.b.localhost/',
  ])('refuses %s without resolving unless allowPrivate', async (raw) => {
    const lookup = fixedLookup('127.0.0.1');
    expect(await checkWebhookUrl(raw, { allowPrivate: false, lookup })).toMatchObject({
      ok: false,
      reason: 'localhost',
    });
    expect(lookup).not.toHaveBeenCalled();
    expect(await checkWebhookUrl(raw, { allowPrivate: true, lookup })).toMatchObject({ ok: true });
  });

  it('does not mistake names that merely contain "localhost"', async () => {
    const res = await checkWebhookUrl('https://localhost.example.com/', {
      allowPrivate: false,
      lookup: publicLookup(),
    });
    expect(res).toMatchObject({ ok: true });
    expect(
      await checkWebhookUrl('https://mylocalhost/', { allowPrivate: false, lookup: publicLookup() }),
    ).toMatchObject({
      ok: true,
    });
  });

  it('refuses a hostname if ANY of its addresses is forbidden', async () => {
    const lookup = fixedLookup('93.184.215.14', '2606:2800:21f:cb07:6820:80da:af6b:8b2c', '10.1.2.3');
    expect(await checkWebhookUrl('https://mixed.example.com/', { allowPrivate: false, lookup })).toEqual({
      ok: false,
      reason: 'forbidden_address',
      detail: 'mixed.example.com → 10.1.2.3: private (RFC 1918)',
    });
    expect(await checkWebhookUrl('https://mixed.example.com/', { allowPrivate: true, lookup })).toMatchObject({
      ok: true,
    });
    const metadata = fixedLookup('93.184.215.14', '169.254.169.254');
    expect(await checkWebhookUrl('https://m.example.com/', { allowPrivate: true, lookup: metadata })).toMatchObject({
      ok: false,
      reason: 'forbidden_address',
    });
    const mapped = fixedLookup('::ffff:127.0.0.1');
    expect(await checkWebhookUrl('https://m.example.com/', { allowPrivate: false, lookup: mapped })).toMatchObject({
      ok: false,
      reason: 'forbidden_address',
    });
  });

  it('refuses unresolvable hostnames', async () => {
    const failing = jest.fn<LookupFn>(async () => {
      throw Object.assign(new Error('getaddrinfo ENOTFOUND nope.invalid'), { code: 'ENOTFOUND' });
    });
    expect(await checkWebhookUrl('https://nope.invalid/', { allowPrivate: true, lookup: failing })).toEqual({
      ok: false,
      reason: 'unresolvable',
      detail: 'ENOTFOUND',
    });
    expect(
      await checkWebhookUrl('https://empty.example/', { allowPrivate: true, lookup: fixedLookup() }),
    ).toMatchObject({
      ok: false,
      reason: 'unresolvable',
    });
  });

  it('uses dns.lookup by default (an .invalid name never resolves)', async () => {
    expect(await checkWebhookUrl('https://webhook-test.invalid/', { allowPrivate: false })).toMatchObject({
      ok: false,
      reason: 'unresolvable',
    });
  });
});
