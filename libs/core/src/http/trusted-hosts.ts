/** Host header without the port ("[::1]:8000" → "[::1]", "Example.com:80" → "example.com"). */
export function hostWithoutPort(host: string | undefined): string {
  if (!host) return '';
  const h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end === -1 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

/**
 * TRUSTED_HOSTS matcher, precomputed: exact names, "*" (any host), "*.example.com" (subdomains of
 * example.com, not example.com itself). Compared without the port, case-insensitively.
 */
export function createHostMatcher(patterns: readonly string[]): (hostHeader: string | undefined) => boolean {
  const normalized = patterns.map((p) => p.trim().toLowerCase()).filter((p) => p.length > 0);
  if (normalized.includes('*')) return () => true;
  const exact = new Set(normalized.filter((p) => !p.startsWith('*')));
  const suffixes = normalized.filter((p) => p.startsWith('*.')).map((p) => p.slice(1));
  return (hostHeader) => {
    const host = hostWithoutPort(hostHeader);
    if (host === '') return false;
    return exact.has(host) || suffixes.some((s) => host.endsWith(s) && host.length > s.length);
  };
}
