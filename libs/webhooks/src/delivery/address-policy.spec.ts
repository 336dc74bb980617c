import { isForbiddenAddress } from './address-policy.js';

const strict = { allowPrivate: false };
const lax = { allowPrivate: true };

describe('isForbiddenAddress', () => {
  it.each([
    ['169.254.169.254', 'cloud metadata endpoint'],
    ['169.254.1.2', 'link-local'],
    ['fe80::1', 'link-local'],
    ['fe80::1%eth0', 'link-local'],
    ['febf:ffff::1', 'link-local'],
    ['fd00:ec2::254', 'cloud metadata endpoint'],
    ['0.0.0.0', 'unspecified ("this network")'],
    ['0.1.2.3', 'unspecified ("this network")'],
    ['::', 'unspecified'],
    ['224.0.0.1', 'multicast'],
    ['239.255.255.250', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'broadcast'],
    ['240.0.0.1', 'reserved'],
    ['168.63.129.16', 'cloud metadata endpoint'],
  ])('always refuses %s (%s), even with allowPrivate', (ip, reason) => {
    expect(isForbiddenAddress(ip, strict)).toBe(reason);
    expect(isForbiddenAddress(ip, lax)).toBe(reason);
  });

  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.255.254', 'loopback'],
    ['::1', 'loopback'],
    ['10.0.0.1', 'private (RFC 1918)'],
    ['172.16.0.1', 'private (RFC 1918)'],
    ['172.31.255.255', 'private (RFC 1918)'],
    ['192.168.1.1', 'private (RFC 1918)'],
    ['100.64.0.1', 'carrier-grade NAT'],
    ['100.127.255.255', 'carrier-grade NAT'],
    ['fc00::1', 'unique local'],
    ['fd12:3456::1', 'unique local'],
    ['fd00:ec2::253', 'unique local'],
    ['192.0.0.8', 'IETF protocol assignments'],
    ['198.18.0.1', 'benchmarking'],
    ['198.19.255.255', 'benchmarking'],
    ['192.0.2.1', 'documentation'],
    ['198.51.100.7', 'documentation'],
    ['203.0.113.9', 'documentation'],
    ['2001:db8::1', 'documentation'],
  ])('refuses %s (%s) unless allowPrivate', (ip, reason) => {
    expect(isForbiddenAddress(ip, strict)).toBe(reason);
    expect(isForbiddenAddress(ip, lax)).toBeNull();
  });

  it.each(['93.184.215.14', '8.8.8.8', '172.32.0.1', '172.15.255.255', '100.128.0.1', '2606:4700::1111', '1.1.1.1'])(
    'allows the public address %s',
    (ip) => {
      expect(isForbiddenAddress(ip, strict)).toBeNull();
      expect(isForbiddenAddress(ip, lax)).toBeNull();
    },
  );

  it('classifies IPv4-mapped and IPv4-compatible IPv6 as their IPv4 address', () => {
    for (const ip of ['::ffff:127.0.0.1', '::ffff:7f00:1', '0:0:0:0:0:ffff:7f00:0001', '::127.0.0.1', '::7f00:1']) {
      expect(isForbiddenAddress(ip, strict)).toMatch(/^loopback \(/);
      expect(isForbiddenAddress(ip, lax)).toBeNull();
    }
    expect(isForbiddenAddress('::ffff:169.254.169.254', lax)).toMatch(/^cloud metadata endpoint \(IPv4-mapped/);
    expect(isForbiddenAddress('::ffff:a9fe:a9fe', lax)).toMatch(/^cloud metadata endpoint/);
    expect(isForbiddenAddress('::ffff:10.1.2.3', strict)).toMatch(/^private/);
    expect(isForbiddenAddress('::ffff:0.0.0.0', lax)).toMatch(/^unspecified/);
    expect(isForbiddenAddress('::ffff:93.184.215.14', strict)).toBeNull();
  });

  it('classifies the IPv4 address embedded in NAT64 and 6to4 addresses', () => {
    expect(isForbiddenAddress('64:ff9b::127.0.0.1', strict)).toMatch(/^loopback \(NAT64 127\.0\.0\.1\)/);
    expect(isForbiddenAddress('64:ff9b::a00:1', strict)).toMatch(/^private/);
    expect(isForbiddenAddress('64:ff9b::a9fe:a9fe', lax)).toMatch(/^cloud metadata endpoint/);
    expect(isForbiddenAddress('64:ff9b::5db8:d70e', strict)).toBeNull(); // 93.184.215.14
    expect(isForbiddenAddress('2002:7f00:1::1', strict)).toMatch(/^loopback \(6to4 127\.0\.0\.1\)/);
    expect(isForbiddenAddress('2002:c0a8:101::', strict)).toMatch(/^private \(RFC 1918\) \(6to4 192\.168\.1\.1\)/);
    expect(isForbiddenAddress('2002:a9fe:a9fe::1', lax)).toMatch(/^cloud metadata endpoint/);
    expect(isForbiddenAddress('2002:5db8:d70e::1', strict)).toBeNull();
    expect(isForbiddenAddress('2002:7f00:1::1', lax)).toBeNull();
  });

  it('accepts bracketed IPv6 and refuses non-addresses', () => {
    expect(isForbiddenAddress('[::1]', strict)).toBe('loopback');
    expect(isForbiddenAddress('example.com', lax)).toBe('not an IP address');
    expect(isForbiddenAddress('', lax)).toBe('not an IP address');
    expect(isForbiddenAddress('127.1', lax)).toBe('not an IP address');
    expect(isForbiddenAddress('1::2::3', lax)).toBe('not an IP address');
  });
});
