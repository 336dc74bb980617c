/** Longest slug the columns hold (courses.slug is varchar(255); categories.slug varchar(100)). */
export const SLUG_MAX = 255;

/** What an explicit slug must look like: lowercase words of [a-z0-9] joined by single hyphens. */
export const SLUG_PATTERN = /^[a-z0-9]+(?:-[a-z0-9]+)*$/;

/**
 * The original API's slugify: trim and lowercase; drop characters outside `[a-z0-9\s-]`; collapse
 * runs of whitespace or hyphens into "-"; strip leading and trailing "-". May return "".
 */
export function slugify(text: string): string {
  return text
    .trim()
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, '')
    .replace(/[\s-]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/**
 * The slug derived from a title, cut to leave room for a "-<n>" suffix (`maxLength` - 10), never
 * ending in "-"; `fallback` when nothing is left (e.g. a title without latin letters or digits).
 */
export function baseSlug(text: string, maxLength: number, fallback: string): string {
  const slug = slugify(text)
    .slice(0, maxLength - 10)
    .replace(/-+$/, '');
  return slug || fallback;
}

/**
 * The first of `base`, `base-2`, `base-3`, ... not in `taken`.
 */
export function firstFreeSlug(base: string, taken: Iterable<string>): string {
  const used = new Set(taken);
  if (!used.has(base)) return base;
  for (let n = 2; ; n += 1) {
    const candidate = `${base}-${n}`;
    if (!used.has(candidate)) return candidate;
  }
}

/** A LIKE/ILIKE pattern matching `text` literally anywhere (escapes `\`, `%` and `_`; default ESCAPE '\'). */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
