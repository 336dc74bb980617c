import { clientIp } from './client-ip.js';

describe('clientIp', () => {
  it('uses request.ip (fastify applies trustProxy)', () => {
    expect(clientIp({ ip: '203.0.113.7', socket: { remoteAddress: '127.0.0.1' } })).toBe('203.0.113.7');
  });
  it('reduces IPv4-mapped IPv6 addresses', () => {
    expect(clientIp({ ip: '::ffff:10.1.2.3' })).toBe('10.1.2.3');
    expect(clientIp({ ip: '::1' })).toBe('::1');
  });
  it('falls back to the socket peer, then "unknown"', () => {
    expect(clientIp({ socket: { remoteAddress: '10.0.0.2' } })).toBe('10.0.0.2');
    expect(clientIp({})).toBe('unknown');
  });
});
