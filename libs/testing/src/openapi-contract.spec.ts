import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import {
  contractMode,
  OpenApiContract,
  recordViolations,
  takeContractFailures,
  toJsonSchema,
  type ContractResponse,
} from './openapi-contract.js';

const problem = { 'application/problem+json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } };

const document: OpenAPIObject = {
  openapi: '3.0.0',
  info: { title: 'test', version: '1' },
  paths: {
    '/api/v1/courses/{id}': {
      get: {
        responses: {
          '200': {
            description: 'ok',
            content: { 'application/json': { schema: { $ref: '#/components/schemas/Course' } } },
          },
          '404': { description: 'not found', content: problem },
        },
      },
      delete: { responses: { '204': { description: 'gone' } } },
    },
    '/api/v1/courses/slug/{slug}': {
      get: { responses: { '200': { description: 'ok' } } },
    },
    '/api/v1/courses/{id}/export': {
      get: { responses: { '200': { description: 'csv', content: { 'text/csv': { schema: { type: 'string' } } } } } },
    },
    '/api/v1/certificates/{id}.pdf': {
      get: { responses: { '200': { description: 'pdf', content: { 'application/pdf': {} } } } },
    },
    '/api/v1/things': {
      get: { responses: { default: { description: 'anything', content: { 'application/json': {} } } } },
    },
  },
  components: {
    schemas: {
      Course: {
        type: 'object',
        required: ['id', 'title', 'description', 'category'],
        properties: {
          id: { type: 'string', format: 'uuid' },
          title: { type: 'string', maxLength: 10 },
          description: { type: 'string', nullable: true },
          level: { type: 'string', enum: ['beginner', 'advanced'], nullable: true },
          category: { nullable: true, allOf: [{ $ref: '#/components/schemas/Category' }] },
          parent: { type: 'object', nullable: true, allOf: [{ $ref: '#/components/schemas/Category' }] },
          score: { type: 'number', minimum: 0, exclusiveMinimum: true },
        },
      },
      Category: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
      ProblemDetails: {
        type: 'object',
        required: ['type', 'title', 'status', 'detail'],
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
        },
      },
    },
  },
};

const ID = '4f0c6c1e-5b8e-4d8c-9a57-0b6f0c1d2e3f';
const course = { id: ID, title: 'Intro', description: null, category: null };

function json(path: string, status: number, body: unknown, contentType = 'application/json'): ContractResponse {
  return { method: 'GET', path, status, contentType, hasBody: true, bodyText: JSON.stringify(body) };
}

describe('OpenApiContract', () => {
  const contract = new OpenApiContract(document, { apiPrefix: '/api/v1' });

  it('accepts a declared status, media type and body (nullable fields null, query string ignored)', () => {
    expect(contract.check(json(`/api/v1/courses/${ID}?expand=1`, 200, course))).toEqual([]);
    const full = { ...course, description: 'x', level: 'advanced', category: { name: 'Math' }, score: 1 };
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, full))).toEqual([]);
    expect(
      contract.check(
        json(
          `/api/v1/courses/${ID}`,
          404,
          { type: 't', title: 'T', status: 404, detail: 'd' },
          'application/problem+json; charset=utf-8',
        ),
      ),
    ).toEqual([]);
  });

  it('matches templates: literal segments first, parameters inside a segment', () => {
    expect(contract.matchTemplate('/api/v1/courses/slug/intro')?.template).toBe('/api/v1/courses/slug/{slug}');
    expect(contract.matchTemplate(`/api/v1/courses/${ID}`)?.template).toBe('/api/v1/courses/{id}');
    expect(contract.matchTemplate(`/api/v1/certificates/${ID}.pdf`)?.template).toBe('/api/v1/certificates/{id}.pdf');
    expect(contract.matchTemplate(`/api/v1/certificates/${ID}.png`)).toBeUndefined();
    expect(contract.matchTemplate('/api/v1/courses/')).toBeUndefined();
    expect(contract.matchTemplate(`/api/v1/courses/${ID}/`)).toBeUndefined();
    expect(contract.matchTemplate(`/api/v1/courses//${ID}`)).toBeUndefined();
    expect(contract.matchTemplate('/api/v1/courses/%73lug/intro')?.template).toBe('/api/v1/courses/slug/{slug}');
    expect(contract.check(json('/api/v1/courses/%zz', 400, {}, 'application/problem+json'))).toEqual([]);
  });

  it('fails an undeclared status', () => {
    const [v] = contract.check(json(`/api/v1/courses/${ID}`, 403, {}, 'application/problem+json'));
    expect(v).toMatchObject({ kind: 'undeclared-status', operation: 'GET /api/v1/courses/{id}', status: 403 });
  });

  it('fails a media type the status does not declare', () => {
    const [v] = contract.check(json(`/api/v1/courses/${ID}`, 404, { type: 't', title: 'T', status: 404, detail: 'd' }));
    expect(v).toMatchObject({ kind: 'undeclared-content-type', contentType: 'application/json' });
  });

  it('fails a body with a missing required field, a wrong type, an undeclared field or a bad format', () => {
    const { title: _title, ...noTitle } = course;
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, noTitle))[0]).toMatchObject({
      kind: 'body-schema',
      message: expect.stringContaining('misses required property "title"'),
    });
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, title: 42 }))[0]?.errors).toEqual([
      { path: '/title', keyword: 'type', message: 'must be string' },
    ]);
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, secret: 1 }))[0]?.message).toContain(
      'undeclared property "secret"',
    );
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, id: 'nope' }))[0]?.message).toContain(
      'must match format "uuid"',
    );
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, score: 0 }))[0]?.kind).toBe('body-schema');
  });

  it('handles nullable: a null where the schema is not nullable fails', () => {
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, title: null }))[0]?.kind).toBe('body-schema');
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, level: null }))).toEqual([]);
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, parent: null }))).toEqual([]);
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, parent: { name: 'x' } }))).toEqual([]);
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, parent: {} }))[0]?.kind).toBe('body-schema');
    expect(contract.check(json(`/api/v1/courses/${ID}`, 200, { ...course, level: 'expert' }))[0]?.kind).toBe(
      'body-schema',
    );
  });

  it('fails a body the response does not declare, and accepts a 204 without one', () => {
    const del = { method: 'DELETE', path: `/api/v1/courses/${ID}`, status: 204, contentType: null, hasBody: false };
    expect(contract.check(del)).toEqual([]);
    expect(contract.check({ ...json(`/api/v1/courses/slug/intro`, 200, course) })[0]).toMatchObject({
      kind: 'undeclared-body',
      operation: 'GET /api/v1/courses/slug/{slug}',
    });
  });

  it('checks only status and media type of non-JSON bodies; a default response covers any status', () => {
    const csv = { method: 'GET', path: `/api/v1/courses/${ID}/export`, status: 200, hasBody: true };
    expect(contract.check({ ...csv, contentType: 'text/csv; charset=utf-8' })).toEqual([]);
    expect(contract.check({ ...csv, contentType: 'application/pdf' })[0]?.kind).toBe('undeclared-content-type');
    expect(contract.check(json('/api/v1/things', 418, [1, 2]))).toEqual([]);
  });

  it('reports served paths and methods under the prefix that the document lacks; ignores the rest', () => {
    expect(contract.check(json('/api/v1/secret', 200, {}))[0]?.kind).toBe('undeclared-operation');
    expect(contract.check({ ...json(`/api/v1/courses/${ID}`, 200, course), method: 'PUT' })[0]).toMatchObject({
      kind: 'undeclared-operation',
      operation: 'PUT /api/v1/courses/{id}',
    });
    expect(contract.check(json('/metrics', 200, {}, 'text/plain'))).toEqual([]);
    const served = new OpenApiContract(document, { apiPrefix: '/api/v1', isServed: () => false });
    expect(served.check(json('/api/v1/no-such-route', 404, {}, 'application/problem+json'))).toEqual([]);
  });

  it('validates the data of an enveloped success body', () => {
    const enveloped = new OpenApiContract(document, { apiPrefix: '/api/v1', envelope: true });
    const body = { success: true, data: course, message: 'ok' };
    expect(enveloped.check(json(`/api/v1/courses/${ID}`, 200, body))).toEqual([]);
  });

  it('reports a JSON body that does not parse', () => {
    const res = { ...json(`/api/v1/courses/${ID}`, 200, course), bodyText: '{' };
    expect(contract.check(res)[0]?.kind).toBe('invalid-json');
  });
});

describe('toJsonSchema', () => {
  it('turns nullable into a null alternative and closes objects that list their properties', () => {
    expect(toJsonSchema({ type: 'integer', nullable: true })).toEqual({ type: ['integer', 'null'] });
    expect(toJsonSchema({ nullable: true, allOf: [{ $ref: '#/components/schemas/A' }] })).toEqual({
      anyOf: [{ allOf: [{ $ref: 'openapi:document#/definitions/A' }] }, { type: 'null' }],
    });
    expect(toJsonSchema({ type: 'object', nullable: true, allOf: [{ $ref: '#/components/schemas/A' }] })).toEqual({
      anyOf: [{ type: 'object', allOf: [{ $ref: 'openapi:document#/definitions/A' }] }, { type: 'null' }],
    });
    expect(toJsonSchema({ type: 'object', properties: { a: { type: 'string' } } })).toMatchObject({
      additionalProperties: false,
    });
  });
});

describe('modes', () => {
  it('reads OPENAPI_CONTRACT (default strict) and refuses unknown values', () => {
    expect(contractMode({})).toBe('strict');
    expect(contractMode({ OPENAPI_CONTRACT: 'REPORT' })).toBe('report');
    expect(contractMode({ OPENAPI_CONTRACT: 'off' })).toBe('off');
    expect(() => contractMode({ OPENAPI_CONTRACT: 'loud' })).toThrow(/strict, report or off/);
  });

  const violation = {
    kind: 'undeclared-status' as const,
    operation: 'GET /x',
    status: 418,
    contentType: null,
    path: '/x',
    message: 'status 418 is not declared',
  };

  it('strict mode keeps violations for the afterEach hook, which takes them once', () => {
    recordViolations([violation], 'strict');
    expect(takeContractFailures()).toMatch(/GET \/x → 418 .*\[undeclared-status\]/);
    expect(takeContractFailures()).toBeUndefined();
  });

  it('report mode appends JSON lines with the test name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'contract-spec-'));
    const previous = process.env.OPENAPI_CONTRACT_REPORT_DIR;
    process.env.OPENAPI_CONTRACT_REPORT_DIR = dir;
    try {
      recordViolations([violation], 'report');
    } finally {
      if (previous === undefined) delete process.env.OPENAPI_CONTRACT_REPORT_DIR;
      else process.env.OPENAPI_CONTRACT_REPORT_DIR = previous;
    }
    const [file] = readdirSync(dir);
    const line = JSON.parse(readFileSync(join(dir, file!), 'utf8').trim()) as Record<string, unknown>;
    expect(line).toMatchObject({ kind: 'undeclared-status', test: expect.stringContaining('report mode') });
    expect(takeContractFailures()).toBeUndefined();
  });
});
