import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { ProblemException } from './problem.js';

export const JSON_MEDIA_TYPE = 'application/json';

/**
 * The only routes (paths under the API prefix, as declared) whose body may be something other than
 * JSON, with the media types each accepts besides application/json. Every other route answers 415
 * to any other media type, so a cross-site HTML form (urlencoded or multipart, which a browser
 * sends without a CORS preflight) cannot reach a JSON route.
 */
export const NON_JSON_BODY_ROUTES: Readonly<Record<string, readonly string[]>> = {
  // OAuth2 password grant (RFC 6749 §4.3): a form by definition.
  '/auth/token': ['application/x-www-form-urlencoded'],
  // File uploads.
  '/files/upload': ['multipart/form-data'],
};

/** Methods whose body Fastify never reads. */
const BODYLESS_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'TRACE']);

/** The media type of a Content-Type header, lowercased and without parameters ('' when blank). */
export function mediaTypeOf(contentType: string): string {
  return (contentType.split(';', 1)[0] ?? '').trim().toLowerCase();
}

/** Content-Length 0 or absent, and not chunked: a request without a body. */
function hasNoBody(request: FastifyRequest): boolean {
  const { 'content-length': length, 'transfer-encoding': encoding } = request.headers;
  return encoding === undefined && (length === undefined || length === '0');
}

/**
 * An onRequest hook applying the media-type rule to every route, before any body parser runs:
 * - no Content-Type, or a method without a body: nothing to check;
 * - application/json: accepted; with an empty body the Content-Type is dropped, so the request is
 *   handled as one without a body (a body-less POST such as /courses/{id}/publish from a client that
 *   always sends `Content-Type: application/json`, as the original API allowed);
 * - any other media type: only where NON_JSON_BODY_ROUTES lists it, otherwise 415
 *   `unsupported_media_type` (problem+json), before authentication or any handler runs.
 * Unmatched routes are left to the router (404).
 */
export function createMediaTypeHook(
  prefix: string,
): (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction) => void {
  const allowed = new Map<string, ReadonlySet<string>>(
    Object.entries(NON_JSON_BODY_ROUTES).map(([path, types]) => [`${prefix}${path}`, new Set(types)]),
  );
  return (request, _reply, done) => {
    const contentType = request.headers['content-type'];
    if (contentType === undefined || BODYLESS_METHODS.has(request.method)) {
      done();
      return;
    }
    const mediaType = mediaTypeOf(contentType);
    if (mediaType === JSON_MEDIA_TYPE) {
      if (hasNoBody(request)) delete request.raw.headers['content-type'];
      done();
      return;
    }
    const route = request.routeOptions.url;
    const accepted = route === undefined ? undefined : allowed.get(route);
    if (route === undefined || accepted?.has(mediaType)) {
      done();
      return;
    }
    const types = [JSON_MEDIA_TYPE, ...(accepted ?? [])].join(' or ');
    done(
      new ProblemException(415, 'unsupported_media_type', `Unsupported Content-Type: this endpoint accepts ${types}`),
    );
  };
}
