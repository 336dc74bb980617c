/**
 * Matches a path that equals one of `paths` or starts with one of them followed by "/" (the
 * reference's "exact or prefix + /" rule for excluded paths and rate-limit rules). "/" only
 * matches itself: otherwise listing "/" would match every path.
 */
export function createPathMatcher(paths: readonly string[]): (path: string) => boolean {
  const exact = new Set(paths);
  const prefixes = paths.filter((p) => p !== '/').map((p) => (p.endsWith('/') ? p : `${p}/`));
  if (exact.size === 0) return () => false;
  return (path) => {
    if (exact.has(path)) return true;
    for (let i = 0; i < prefixes.length; i++) if (path.startsWith(prefixes[i])) return true;
    return false;
  };
}
