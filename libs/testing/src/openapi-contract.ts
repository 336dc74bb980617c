import { appendFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2019, type ErrorObject, type ValidateFunction } from 'ajv/dist/2019.js';
import addFormatsModule from 'ajv-formats';
import type { OpenAPIObject } from '@nestjs/swagger';

/**
 * Response contract checks (issue 16, item 5): every response the e2e suites receive through
 * TestApp.request (and so callApi) is compared with the operation the OpenAPI document declares
 * for it: the status must be declared (or a `default`/`2XX` range), the content type must be one
 * of the declared media types, and a JSON body must validate against the declared schema.
 *
 * Mode (OPENAPI_CONTRACT): 'strict' records violations and fails the test in an afterEach hook
 * (test/support/openapi-contract-setup.ts), so no test can swallow them; 'report' appends them as JSON lines under
 * OPENAPI_CONTRACT_REPORT_DIR (default <tmpdir>/lms-openapi-contract/<run id>/<pid>.jsonl), which
 * `npm run openapi:contract-report` aggregates; 'off' skips the checks.
 */

export type ContractMode = 'strict' | 'report' | 'off';

/** Strict: a response that differs from the document fails its test. */
const DEFAULT_MODE: ContractMode = 'strict';

export function contractMode(env: Record<string, string | undefined> = process.env): ContractMode {
  const raw = env.OPENAPI_CONTRACT?.trim().toLowerCase();
  if (!raw) return DEFAULT_MODE;
  if (raw === 'strict' || raw === 'report' || raw === 'off') return raw;
  throw new Error(`OPENAPI_CONTRACT must be strict, report or off (got ${JSON.stringify(env.OPENAPI_CONTRACT)})`);
}

export type ViolationKind =
  /** A route the application serves under the API prefix that the document does not describe. */
  | 'undeclared-operation'
  /** The operation exists, the status code is not among its responses (and no default). */
  | 'undeclared-status'
  /** The response has a body whose content type is not among the declared media types. */
  | 'undeclared-content-type'
  /** The response has a body, the declared response has no content at all. */
  | 'undeclared-body'
  /** The declared response has content, the response has none. */
  | 'missing-body'
  /** A JSON media type whose body does not parse. */
  | 'invalid-json'
  /** The body does not validate against the declared schema. */
  | 'body-schema'
  /** The declared schema itself does not compile (a document bug). */
  | 'invalid-schema'
  /** The check itself failed (e.g. the document could not be built). */
  | 'check-error';

export interface ContractViolation {
  kind: ViolationKind;
  /** "GET /api/v1/courses/{id}" (the document's template), or the concrete path when undeclared. */
  operation: string;
  status: number;
  contentType: string | null;
  /** The concrete request path (query stripped). */
  path: string;
  message: string;
  /** Schema errors (body-schema), at most a handful. */
  errors?: Array<{ path: string; keyword: string; message: string }>;
}

export interface ContractResponse {
  method: string;
  /** Path (optionally with a query) of the request, e.g. /api/v1/courses?page=2. */
  path: string;
  status: number;
  /** The Content-Type header, as sent. */
  contentType: string | null;
  /** Whether the response carries a body (a Content-Type or a non-zero Content-Length). */
  hasBody: boolean;
  /** The body text when the media type is JSON; undefined when not read. */
  bodyText?: string;
}

export interface ContractOptions {
  /** The API prefix (API_V1_PREFIX): paths under it that the document lacks are violations. */
  apiPrefix?: string;
  /**
   * Whether the application serves this concrete path (e.g. Fastify's findRoute). Undeclared paths
   * under the prefix are reported only when served, so a request for a route that does not exist
   * (a 404 test) is not a violation. Default: every path under the prefix counts as served.
   */
  isServed?: (method: string, path: string) => boolean;
  /**
   * Success responses are wrapped as { success, data, message } (API_RESPONSE_ENVELOPE_ENABLED):
   * the schema applies to `data`.
   */
  envelope?: boolean;
  /** Path templates not checked (test-only controllers mounted by a suite). */
  skipTemplates?: readonly string[];
}

type JsonObject = Record<string, unknown>;
type Operation = { responses?: Record<string, ResponseObject> } & JsonObject;
type ResponseObject = { content?: Record<string, { schema?: unknown }>; $ref?: string } & JsonObject;

interface CompiledTemplate {
  template: string;
  /** Per path segment: a literal, null for a whole {parameter}, a RegExp for a mixed one (e.g. {id}.pdf). */
  segments: Array<string | null | RegExp>;
  methods: Record<string, Operation>;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const DOC_ID = 'openapi:document';

// ajv-formats is CommonJS: its default export is module.exports (the plugin), or has it as `.default`.
type FormatsPlugin = (ajv: Ajv2019) => Ajv2019;
const formatsExport = addFormatsModule as unknown as FormatsPlugin | { default: FormatsPlugin };
const addFormats: FormatsPlugin = typeof formatsExport === 'function' ? formatsExport : formatsExport.default;

/** Content-Type without parameters, lower-cased. */
function mediaType(contentType: string | null): string | null {
  if (!contentType) return null;
  return contentType.split(';')[0]!.trim().toLowerCase() || null;
}

export function isJsonMediaType(contentType: string | null): boolean {
  const m = mediaType(contentType);
  return m !== null && (m === 'application/json' || m.endsWith('+json'));
}

/** Path segments; a trailing slash is an empty last segment (the router does not ignore it). */
function splitPath(path: string): string[] {
  return path.split('/').slice(1);
}

function mediaTypeMatches(declared: string, actual: string): boolean {
  const d = declared.split(';')[0]!.trim().toLowerCase();
  if (d === actual || d === '*/*') return true;
  if (d.endsWith('/*')) return actual.startsWith(d.slice(0, -1));
  return false;
}

/**
 * OpenAPI 3.0 schema → JSON Schema (2019-09) for ajv: `nullable` becomes a null alternative,
 * boolean exclusiveMinimum/Maximum become numbers, $refs point into the registered document, and
 * object schemas that list their properties allow no others (an undeclared field is drift).
 */
export function toJsonSchema(schema: unknown, inAllOf = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => toJsonSchema(s));
  if (typeof schema !== 'object' || schema === null) return schema;
  const src = schema as JsonObject;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(src)) {
    switch (key) {
      case '$ref':
        out.$ref =
          typeof value === 'string' && value.startsWith('#/')
            ? `${DOC_ID}#/definitions/${value.split('/').pop()}`
            : value;
        break;
      case 'properties':
      case 'patternProperties':
        out[key] = Object.fromEntries(
          Object.entries(value as JsonObject).map(([name, sub]) => [name, toJsonSchema(sub)]),
        );
        break;
      case 'allOf':
        out.allOf = (value as unknown[]).map((s) => toJsonSchema(s, (value as unknown[]).length > 1));
        break;
      case 'items':
      case 'additionalProperties':
      case 'not':
      case 'anyOf':
      case 'oneOf':
        out[key] = toJsonSchema(value);
        break;
      case 'nullable':
      case 'example':
      case 'examples':
      case 'discriminator':
      case 'xml':
      case 'externalDocs':
      case 'deprecated':
        break;
      case 'exclusiveMinimum':
      case 'exclusiveMaximum':
        if (typeof value === 'boolean') {
          const bound = key === 'exclusiveMinimum' ? 'minimum' : 'maximum';
          if (value && typeof src[bound] === 'number') out[key] = src[bound];
        } else {
          out[key] = value;
        }
        break;
      case 'minimum':
      case 'maximum': {
        const exclusive = src[key === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum'];
        if (exclusive !== true) out[key] = value;
        break;
      }
      default:
        out[key] = value;
    }
  }
  if (
    !inAllOf &&
    out.properties !== undefined &&
    out.additionalProperties === undefined &&
    out.patternProperties === undefined
  ) {
    out.additionalProperties = false;
  }
  if (src.nullable === true) {
    const composed = out.allOf !== undefined || out.oneOf !== undefined || out.anyOf !== undefined || '$ref' in out;
    if (typeof out.type === 'string' && !composed) {
      out.type = [out.type, 'null'];
      if (Array.isArray(out.enum) && !out.enum.includes(null)) out.enum = [...(out.enum as unknown[]), null];
      return out;
    }
    return { anyOf: [out, { type: 'null' }] };
  }
  return out;
}

/** One OpenAPI document, its path templates and (lazily) compiled response validators. */
export class OpenApiContract {
  private readonly templates: CompiledTemplate[];
  private readonly ajv: Ajv2019;
  private readonly validators = new Map<string, ValidateFunction | Error>();
  private readonly apiPrefix: string | undefined;

  constructor(
    private readonly document: OpenAPIObject,
    private readonly options: ContractOptions = {},
  ) {
    this.apiPrefix = options.apiPrefix;
    this.templates = Object.entries(document.paths ?? {}).map(([template, item]) => {
      const methods: Record<string, Operation> = {};
      for (const m of HTTP_METHODS) {
        const op = (item as JsonObject)[m];
        if (op) methods[m.toUpperCase()] = op as Operation;
      }
      return {
        template,
        segments: splitPath(template).map(compileSegment),
        methods,
      };
    });
    this.ajv = new Ajv2019({ strict: false, allErrors: true, logger: false, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addSchema({
      $id: DOC_ID,
      definitions: Object.fromEntries(
        Object.entries(document.components?.schemas ?? {}).map(([name, s]) => [name, toJsonSchema(s)]),
      ),
    });
  }

  /**
   * The template that matches a concrete path (segments percent-decoded, as the router does);
   * literal segments win over parameters, left to right.
   */
  matchTemplate(path: string): CompiledTemplate | undefined {
    const parts = decodeSegments(splitPath(path));
    if (!parts) return undefined;
    let best: CompiledTemplate | undefined;
    for (const t of this.templates) {
      if (t.segments.length !== parts.length) continue;
      if (!t.segments.every((s, i) => segmentMatches(s, parts[i]!))) continue;
      if (!best || moreSpecific(t, best)) best = t;
    }
    return best;
  }

  check(res: ContractResponse): ContractViolation[] {
    const path = res.path.split('?')[0]!.split('#')[0]!;
    const method = res.method.toUpperCase();
    const contentType = mediaType(res.contentType);
    const base = { status: res.status, contentType, path };
    // A URL that does not decode is refused before routing (400): no operation's response.
    if (!decodeSegments(splitPath(path))) return [];
    const template = this.matchTemplate(path);
    if (template && this.options.skipTemplates?.includes(template.template)) return [];
    const isHead = method === 'HEAD';
    const operation = template ? (template.methods[method] ?? (isHead ? template.methods.GET : undefined)) : undefined;
    if (!template || !operation) {
      // CORS preflights and routes outside the API (metrics, docs, the document) are not operations.
      if (method === 'OPTIONS') return [];
      const underPrefix =
        this.apiPrefix !== undefined && (path === this.apiPrefix || path.startsWith(`${this.apiPrefix}/`));
      if (!template && !underPrefix) return [];
      if (this.options.isServed && !this.options.isServed(method, path)) return [];
      return [
        {
          ...base,
          kind: 'undeclared-operation',
          operation: `${method} ${template?.template ?? path}`,
          message: template
            ? `${method} is not declared for ${template.template}`
            : `${method} ${path} is served but the document has no such path`,
        },
      ];
    }
    const opName = `${isHead && !template.methods.HEAD ? 'GET' : method} ${template.template}`;
    const v = { ...base, operation: opName };
    const responses = operation.responses ?? {};
    const key =
      String(res.status) in responses
        ? String(res.status)
        : `${String(res.status)[0]}XX` in responses
          ? `${String(res.status)[0]}XX`
          : 'default' in responses
            ? 'default'
            : undefined;
    if (key === undefined) {
      return [
        {
          ...v,
          kind: 'undeclared-status',
          message: `status ${res.status} is not declared (declared: ${Object.keys(responses).join(', ') || 'none'})`,
        },
      ];
    }
    const declared = this.resolveResponse(responses[key]!);
    const content = declared.content ?? {};
    const declaredTypes = Object.keys(content);
    const noBodyStatus = res.status === 204 || res.status === 304 || isHead;
    if (!res.hasBody || !contentType) {
      if (res.hasBody && !contentType && declaredTypes.length > 0) {
        return [{ ...v, kind: 'undeclared-content-type', message: 'the response has a body without a Content-Type' }];
      }
      if (!res.hasBody && declaredTypes.length > 0 && !noBodyStatus) {
        return [
          {
            ...v,
            kind: 'missing-body',
            message: `the response has no body; declared: ${declaredTypes.join(', ')}`,
          },
        ];
      }
      return [];
    }
    if (declaredTypes.length === 0) {
      if (noBodyStatus) return [];
      return [
        {
          ...v,
          kind: 'undeclared-body',
          message: `the response has a ${contentType} body; the declared response (${key}) has no content`,
        },
      ];
    }
    const mediaKey = declaredTypes.find((d) => mediaTypeMatches(d, contentType));
    if (mediaKey === undefined) {
      return [
        {
          ...v,
          kind: 'undeclared-content-type',
          message: `${contentType} is not declared for ${key} (declared: ${declaredTypes.join(', ')})`,
        },
      ];
    }
    const schema = content[mediaKey]!.schema;
    if (schema === undefined || res.bodyText === undefined || !isJsonMediaType(contentType) || isHead) return [];
    let body: unknown;
    try {
      body = JSON.parse(res.bodyText);
    } catch {
      return [{ ...v, kind: 'invalid-json', message: `the ${contentType} body is not JSON` }];
    }
    if (this.options.envelope && res.status < 400 && isEnvelopeBody(body)) body = body.data;
    const validate = this.validator(`${opName} ${key} ${mediaKey}`, schema);
    if (validate instanceof Error) {
      return [{ ...v, kind: 'invalid-schema', message: `the declared schema does not compile: ${validate.message}` }];
    }
    if (validate(body)) return [];
    const errors = summarizeErrors(validate.errors ?? []);
    return [
      {
        ...v,
        kind: 'body-schema',
        message: errors.map((e) => `${e.path || '(body)'} ${e.message}`).join('; '),
        errors,
      },
    ];
  }

  private resolveResponse(response: ResponseObject): ResponseObject {
    let r = response;
    for (let i = 0; i < 5 && typeof r.$ref === 'string'; i++) {
      const name = r.$ref.split('/').pop()!;
      r = ((this.document.components?.responses ?? {}) as Record<string, ResponseObject>)[name] ?? {};
    }
    return r;
  }

  private validator(key: string, schema: unknown): ValidateFunction | Error {
    let v = this.validators.get(key);
    if (!v) {
      try {
        v = this.ajv.compile(toJsonSchema(schema) as object);
      } catch (e) {
        v = e instanceof Error ? e : new Error(String(e));
      }
      this.validators.set(key, v);
    }
    return v;
  }
}

function decodeSegments(parts: string[]): string[] | undefined {
  try {
    return parts.map((p) => decodeURIComponent(p));
  } catch {
    return undefined;
  }
}

function compileSegment(segment: string): string | null | RegExp {
  if (/^\{[^}]+\}$/.test(segment)) return null;
  if (!segment.includes('{')) return segment;
  const pattern = segment
    .split(/\{[^}]+\}/)
    .map((literal) => literal.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^/]+');
  return new RegExp(`^${pattern}$`);
}

function segmentMatches(segment: string | null | RegExp, part: string): boolean {
  if (segment === null) return part.length > 0;
  return typeof segment === 'string' ? segment === part : segment.test(part);
}

/** Literal segments beat mixed ones, which beat parameters, from left to right (as the router does). */
function moreSpecific(a: CompiledTemplate, b: CompiledTemplate): boolean {
  const rank = (s: string | null | RegExp): number => (s === null ? 0 : typeof s === 'string' ? 2 : 1);
  for (let i = 0; i < a.segments.length; i++) {
    const ra = rank(a.segments[i]!);
    const rb = rank(b.segments[i]!);
    if (ra !== rb) return ra > rb;
  }
  return false;
}

function isEnvelopeBody(body: unknown): body is { data: unknown } {
  return typeof body === 'object' && body !== null && !Array.isArray(body) && 'success' in body && 'data' in body;
}

function summarizeErrors(errors: ErrorObject[]): Array<{ path: string; keyword: string; message: string }> {
  const out: Array<{ path: string; keyword: string; message: string }> = [];
  for (const e of errors) {
    let message = e.message ?? e.keyword;
    if (e.keyword === 'additionalProperties') {
      message = `has undeclared property "${String((e.params as { additionalProperty?: unknown }).additionalProperty)}"`;
    }
    if (e.keyword === 'required') {
      message = `misses required property "${String((e.params as { missingProperty?: unknown }).missingProperty)}"`;
    }
    const item = { path: e.instancePath, keyword: e.keyword, message };
    if (!out.some((o) => o.path === item.path && o.message === item.message)) out.push(item);
    if (out.length >= 8) break;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Recording: one store per jest test file (its module registry and globals are its own).

interface ContractStore {
  pending: Array<{ violation: ContractViolation; test: string | undefined }>;
}

const STORE_KEY = Symbol.for('lms.openapi-contract');

function store(): ContractStore {
  const g = globalThis as { [STORE_KEY]?: ContractStore };
  g[STORE_KEY] ??= { pending: [] };
  return g[STORE_KEY];
}

interface JestState {
  currentTestName?: string;
  testPath?: string;
}

function jestState(): JestState {
  const e = (globalThis as { expect?: { getState?: () => JestState } }).expect;
  try {
    return e?.getState?.() ?? {};
  } catch {
    return {};
  }
}

/** Where report mode writes: OPENAPI_CONTRACT_REPORT_DIR or <tmpdir>/lms-openapi-contract/<run id>. */
export function contractReportDir(env: Record<string, string | undefined> = process.env): string {
  return env.OPENAPI_CONTRACT_REPORT_DIR || join(tmpdir(), 'lms-openapi-contract', env.LMS_TEST_RUN_ID || 'adhoc');
}

/** Records violations according to the mode: kept for the afterEach check (strict) or appended to the report. */
export function recordViolations(violations: ContractViolation[], mode: ContractMode = contractMode()): void {
  if (violations.length === 0 || mode === 'off') return;
  const state = jestState();
  if (mode === 'strict') {
    for (const violation of violations) store().pending.push({ violation, test: state.currentTestName });
    return;
  }
  const dir = contractReportDir();
  mkdirSync(dir, { recursive: true });
  const root = process.cwd();
  const file = state.testPath?.startsWith(root) ? state.testPath.slice(root.length + 1) : state.testPath;
  const lines = violations.map((v) => JSON.stringify({ ...v, file, test: state.currentTestName }) + '\n');
  appendFileSync(join(dir, `${process.pid}.jsonl`), lines.join(''));
}

/** Violations recorded (strict mode) since the last call, formatted; empties the list. */
export function takeContractFailures(): string | undefined {
  const pending = store().pending.splice(0);
  if (pending.length === 0) return undefined;
  const lines = pending.map(({ violation: v, test }) => {
    const where = test ? ` (during "${test}")` : '';
    return `  ${v.operation} → ${v.status} ${v.contentType ?? '(no content type)'} [${v.kind}] ${v.message}${where}`;
  });
  return `OpenAPI contract: ${pending.length} response(s) differ from the document (OPENAPI_CONTRACT=strict):\n${lines.join('\n')}`;
}

/**
 * Checks one fetch Response against the contract and records the violations. Reads a clone of a
 * JSON body (the caller's Response stays unread); other bodies (files, CSV, PDFs) are not read.
 */
export async function checkFetchResponse(
  contract: OpenApiContract,
  method: string,
  path: string,
  res: Response,
  mode: ContractMode = contractMode(),
): Promise<ContractViolation[]> {
  if (mode === 'off') return [];
  const contentType = res.headers.get('content-type');
  const length = res.headers.get('content-length');
  const hasBody = res.body !== null && (length === null ? contentType !== null : Number(length) > 0);
  let bodyText: string | undefined;
  if (hasBody && isJsonMediaType(contentType) && method.toUpperCase() !== 'HEAD') {
    bodyText = await res.clone().text();
  }
  const violations = contract.check({ method, path, status: res.status, contentType, hasBody, bodyText });
  recordViolations(violations, mode);
  return violations;
}
