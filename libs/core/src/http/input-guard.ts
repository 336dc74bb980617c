import { parse as parseQueryString } from 'node:querystring';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ProblemException, type FieldError } from './problem.js';

/**
 * The edge checks every request input goes through once, before routing reaches a guard, a pipe or
 * a DTO: text PostgreSQL cannot store (NUL, lone UTF-16 surrogates, bytes that are not UTF-8) and
 * JSON nested deeper than any DTO needs (class-transformer and class-validator recurse).
 */

/** Deepest JSON nesting a body may have (objects and arrays); deeper bodies are refused before JSON.parse. */
export const MAX_JSON_DEPTH = 32;

/** Why a string is refused: PostgreSQL rejects NUL in text and jsonb, and lone surrogates are not Unicode text. */
export type TextDefect = 'nul_character' | 'invalid_unicode';

/** NUL, or (with the `u` flag, which pairs surrogates) a surrogate code point, i.e. an unpaired surrogate. */
const BAD_TEXT = /[\0\p{Cs}]/u;

export function textDefect(text: string): TextDefect | undefined {
  if (!BAD_TEXT.test(text)) return undefined;
  return text.includes('\0') ? 'nul_character' : 'invalid_unicode';
}

const DEFECT_MESSAGE: Readonly<Record<TextDefect | 'invalid_utf8' | 'max_depth', string>> = {
  nul_character: 'must not contain NUL (\\u0000) characters',
  invalid_unicode: 'must be valid Unicode text (no unpaired UTF-16 surrogates)',
  invalid_utf8: 'must be valid UTF-8',
  max_depth: `must not nest objects and arrays more than ${MAX_JSON_DEPTH} levels deep`,
};

function inputProblem(field: string, code: keyof typeof DEFECT_MESSAGE): ProblemException {
  const error: FieldError = { field, message: `${field} ${DEFECT_MESSAGE[code]}`, code };
  return new ProblemException(422, 'validation_failed', `Validation failed: ${error.message}`, { errors: [error] });
}

function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  return parent ? `${parent}.${key}` : key;
}

/**
 * The first string (value or object key) in `value` that PostgreSQL would refuse, with its path
 * (`metadata.a[2]`). Iterative, so the depth of `value` does not matter.
 */
export function findTextDefect(value: unknown, root = ''): { field: string; defect: TextDefect } | undefined {
  const stack: Array<[unknown, string]> = [[value, root]];
  while (stack.length > 0) {
    const [current, path] = stack.pop()!;
    if (typeof current === 'string') {
      const defect = textDefect(current);
      if (defect) return { field: path || 'body', defect };
    } else if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i -= 1) stack.push([current[i], childPath(path, i)]);
    } else if (typeof current === 'object' && current !== null) {
      const keys = Object.keys(current);
      for (let i = keys.length - 1; i >= 0; i -= 1) {
        const key = keys[i];
        const defect = textDefect(key);
        if (defect) return { field: childPath(path, key.replace(/[\0\p{Cs}]/gu, '?')), defect };
        stack.push([(current as Record<string, unknown>)[key], childPath(path, key)]);
      }
    }
  }
  return undefined;
}

/** Whether JSON text nests objects/arrays deeper than `limit` (brackets inside strings do not count). */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i += 1; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x7b || c === 0x5b) {
      depth += 1;
      if (depth > limit) return true;
    } else if (c === 0x7d || c === 0x5d) {
      depth -= 1;
    }
  }
  return false;
}

type ParserDone = (err: Error | null, body?: unknown) => void;
type StringJsonParser = (request: FastifyRequest, body: string, done: ParserDone) => void;

/**
 * The application/json body parser: the bytes must be UTF-8 (no silent U+FFFD), the nesting at most
 * MAX_JSON_DEPTH deep; then Fastify's own parser (prototype-poisoning protection, its errors for
 * empty and malformed bodies) does the parsing. Strings are checked by the preValidation hook.
 */
export function createJsonBodyParser(
  fastify: FastifyInstance,
): (request: FastifyRequest, body: Buffer, done: ParserDone) => void {
  const { onProtoPoisoning, onConstructorPoisoning } = fastify.initialConfig;
  const parse = fastify.getDefaultJsonParser(
    onProtoPoisoning ?? 'error',
    onConstructorPoisoning ?? 'error',
  ) as unknown as StringJsonParser;
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return (request, body, done) => {
    const text = decodeUtf8Body(utf8, body, done);
    if (text === undefined) return;
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
      done(inputProblem('body', 'max_depth'));
      return;
    }
    parse(request, text, done);
  };
}

/** The body as text, or undefined after answering 422 `invalid_utf8` when it is not UTF-8. */
function decodeUtf8Body(utf8: { decode(input: Buffer): string }, body: Buffer, done: ParserDone): string | undefined {
  try {
    return utf8.decode(body);
  } catch {
    done(inputProblem('body', 'invalid_utf8'));
    return undefined;
  }
}

/**
 * The application/x-www-form-urlencoded body parser (POST /auth/token): UTF-8 bytes and
 * percent-encoding only (the query parser Nest uses keeps bad escapes as text), then
 * node:querystring; a `__proto__` key is refused as in JSON bodies.
 */
export function createFormBodyParser(): (request: FastifyRequest, body: Buffer, done: ParserDone) => void {
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  return (_request, body, done) => {
    const text = decodeUtf8Body(utf8, body, done);
    if (text === undefined) return;
    const bad = findInvalidPercentEncoding(text, 'body');
    if (bad !== undefined) {
      done(inputProblem(bad, 'invalid_utf8'));
      return;
    }
    const form = parseQueryString(text);
    if (Object.hasOwn(form, '__proto__')) {
      done(new ProblemException(400, 'bad_request', 'Object contains forbidden prototype property'));
      return;
    }
    done(null, form);
  };
}

/** `%XX` runs of a raw query string that do not decode to UTF-8 (the query parser keeps them as they are). */
const PERCENT_RUN = /(?:%[0-9A-Fa-f]{2})+/g;

function invalidPercentUtf8(component: string): boolean {
  if (!component.includes('%')) return false;
  const utf8 = new TextDecoder('utf-8', { fatal: true });
  for (const run of component.match(PERCENT_RUN) ?? []) {
    try {
      utf8.decode(Buffer.from(run.replaceAll('%', ''), 'hex'));
    } catch {
      return true;
    }
  }
  return false;
}

/**
 * The first parameter of a query string or form body (`a=1&b=2`) whose percent-encoding is not
 * UTF-8 (its name, best effort), if any.
 */
function findInvalidPercentEncoding(text: string, fallback: string): string | undefined {
  if (!text.includes('%')) return undefined;
  for (const pair of text.split('&')) {
    const eq = pair.indexOf('=');
    const rawKey = eq === -1 ? pair : pair.slice(0, eq);
    if (invalidPercentUtf8(pair)) {
      try {
        return decodeURIComponent(rawKey.replaceAll('+', ' ')) || fallback;
      } catch {
        return fallback;
      }
    }
  }
  return undefined;
}

/**
 * preValidation hook (after body parsing, before guards and pipes): path parameters, the query
 * string and the parsed body (JSON or form) hold no NUL, no unpaired surrogate and, for the query,
 * no percent-encoded bytes that are not UTF-8. Any of these is a 422 problem naming the field.
 */
export function inputGuardHook(request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void {
  const found =
    findTextDefect(request.params) ?? findTextDefect(request.query) ?? findTextDefect(request.body ?? undefined);
  if (found) {
    done(inputProblem(found.field, found.defect));
    return;
  }
  const q = request.url.indexOf('?');
  const badQuery = q === -1 ? undefined : findInvalidPercentEncoding(request.url.slice(q + 1), 'query');
  if (badQuery !== undefined) {
    done(inputProblem(badQuery, 'invalid_utf8'));
    return;
  }
  done();
}
