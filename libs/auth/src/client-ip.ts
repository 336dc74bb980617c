import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

interface IpRequest {
  ip?: string;
  socket?: { remoteAddress?: string };
  raw?: { socket?: { remoteAddress?: string } };
}

/**
 * The client's IP address: Fastify's `request.ip`. createFastifyAdapter sets `trustProxy` to
 * TRUSTED_PROXY_IPS (or false), so X-Forwarded-For is honoured only when the direct peer is one of
 * those proxies (proxy-addr: the nearest untrusted hop); otherwise it is the socket peer.
 * IPv4-mapped IPv6 addresses (`::ffff:1.2.3.4`) are reduced to the IPv4 form.
 */
export function clientIp(request: IpRequest): string {
  const ip = request.ip ?? request.socket?.remoteAddress ?? request.raw?.socket?.remoteAddress ?? '';
  if (!ip) return 'unknown';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice('::ffff:'.length) : ip;
}

/** Route parameter decorator: the client IP (see clientIp). */
export const ClientIp = createParamDecorator((_data: unknown, ctx: ExecutionContext): string =>
  clientIp(ctx.switchToHttp().getRequest<IpRequest>()),
);
