import { createHostMatcher, hostWithoutPort } from './trusted-hosts.js';

describe('trusted hosts', () => {
  it('strips ports, including from IPv6 literals', () => {
    expect(hostWithoutPort('Example.COM:8080')).toBe('example.com');
    expect(hostWithoutPort('[::1]:8000')).toBe('[::1]');
    expect(hostWithoutPort('localhost')).toBe('localhost');
    expect(hostWithoutPort(undefined)).toBe('');
  });

  it('matches exact hosts case-insensitively and ignores the port', () => {
    const ok = createHostMatcher(['localhost', '127.0.0.1', 'API.lms.io']);
    expect(ok('localhost:8000')).toBe(true);
    expect(ok('127.0.0.1')).toBe(true);
    expect(ok('api.lms.io')).toBe(true);
    expect(ok('evil.com')).toBe(false);
    expect(ok('localhost.evil.com')).toBe(false);
    expect(ok(undefined)).toBe(false);
    expect(ok('')).toBe(false);
  });

  it('"*.example.com" allows subdomains only; "*" allows anything', () => {
    const sub = createHostMatcher(['*.example.com']);
    expect(sub('a.example.com')).toBe(true);
    expect(sub('a.b.example.com:443')).toBe(true);
    expect(sub('example.com')).toBe(false);
    expect(sub('badexample.com')).toBe(false);
    const any = createHostMatcher(['localhost', '*']);
    expect(any('whatever.test')).toBe(true);
  });
});
