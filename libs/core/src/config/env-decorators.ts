import { Transform } from 'class-transformer';

const TRUE = new Set(['1', 'true', 'yes', 'on']);
const FALSE = new Set(['0', 'false', 'no', 'off', '']);

/** Parses "true/false/1/0/yes/no/on/off"; anything else is left as a string so validation names it. */
export function EnvBool(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim().toLowerCase();
    if (TRUE.has(v)) return true;
    if (FALSE.has(v)) return false;
    return value;
  });
}

/** Parses a number; a non-numeric string stays a string so @IsInt/@IsNumber reports it. */
export function EnvNumber(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim();
    if (v === '') return undefined;
    const n = Number(v);
    return Number.isFinite(n) ? n : value;
  });
}

/** Comma-separated list; blanks dropped. A JSON array string is accepted too. */
export function EnvCsv(opts: { lowercase?: boolean; paths?: boolean } = {}): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    let items: string[];
    const t = value.trim();
    if (t.startsWith('[')) {
      try {
        const parsed: unknown = JSON.parse(t);
        items = Array.isArray(parsed) ? parsed.map(String) : [t];
      } catch {
        items = [t];
      }
    } else {
      items = t.split(',');
    }
    let out = items.map((s) => s.trim()).filter((s) => s.length > 0);
    if (opts.lowercase) out = out.map((s) => s.toLowerCase());
    if (opts.paths) out = out.map(normalizePath);
    return out;
  });
}

export function EnvString(): PropertyDecorator {
  return Transform(({ value }: { value: unknown }) => {
    if (typeof value !== 'string') return value;
    const v = value.trim();
    return v === '' ? undefined : v;
  });
}

export function normalizePath(p: string): string {
  let s = p.startsWith('/') ? p : `/${p}`;
  while (s.length > 1 && s.endsWith('/')) s = s.slice(0, -1);
  return s;
}
