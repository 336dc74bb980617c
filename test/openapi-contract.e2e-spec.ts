// The response contract check (libs/testing/src/openapi-contract.ts) on a booted app: the document
// the app builds, Fastify's router for served-but-undocumented routes, problem+json errors. A
// test-only controller declares responses that its handlers then break on purpose.
import { ConflictException, Controller, Get, Module } from '@nestjs/common';
import { ApiExcludeEndpoint, ApiOkResponse, ApiProperty } from '@nestjs/swagger';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { buildOpenApiDocument, Public } from '#core';
import { checkFetchResponse, createTestApp, OpenApiContract, takeContractFailures, type TestApp } from '#testing';

class ProbeDto {
  @ApiProperty({ format: 'uuid' }) id!: string;
  @ApiProperty() name!: string;
  @ApiProperty({ type: String, nullable: true }) note!: string | null;
}

const ID = '4f0c6c1e-5b8e-4d8c-9a57-0b6f0c1d2e3f';

@Public()
@Controller('__contract')
class ContractProbeController {
  @Get('ok')
  @ApiOkResponse({ type: ProbeDto })
  ok(): ProbeDto {
    return { id: ID, name: 'probe', note: null };
  }

  @Get('drift')
  @ApiOkResponse({ type: ProbeDto })
  drift(): Record<string, unknown> {
    return { id: 'not-a-uuid', note: 7, extra: true };
  }

  @Get('conflict')
  @ApiOkResponse({ type: ProbeDto })
  conflict(): never {
    throw new ConflictException('taken');
  }

  @Get('hidden')
  @ApiExcludeEndpoint()
  hidden(): { ok: boolean } {
    return { ok: true };
  }
}

@Module({ controllers: [ContractProbeController] })
class ContractProbeModule {}

describe('OpenAPI contract checks against the booted app', () => {
  let t: TestApp;
  let contract: OpenApiContract;
  /** The violations of one GET, as the strict mode records them (taken back, so this suite passes in every mode). */
  const violationsOf = async (path: string) => {
    const res = await fetch(`${t.baseUrl}${path}`);
    const violations = await checkFetchResponse(contract, 'GET', path, res, 'strict');
    const failures = takeContractFailures();
    if (violations.length) expect(failures).toContain(`[${violations[0]!.kind}]`);
    return violations;
  };

  beforeAll(async () => {
    t = await createTestApp({ extraModules: [ContractProbeModule], workers: false });
    const fastify = t.app.getHttpAdapter().getInstance();
    contract = new OpenApiContract(buildOpenApiDocument(t.app, t.config), {
      apiPrefix: t.config.API_V1_PREFIX,
      isServed: (method, path) => fastify.findRoute({ method: method as 'GET', url: path }) !== null,
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('checks against the document the app serves (building it again changes nothing)', async () => {
    const served = await (await fetch(`${t.baseUrl}/openapi.json`)).json();
    expect(JSON.parse(JSON.stringify(buildOpenApiDocument(t.app, t.config)))).toEqual(served);
  });

  it('accepts a response as declared (nullable field null)', async () => {
    expect(await violationsOf('/api/v1/__contract/ok')).toEqual([]);
  });

  it('fails a body that drifts from its schema: bad format, wrong type, missing and undeclared fields', async () => {
    const [v] = await violationsOf('/api/v1/__contract/drift');
    expect(v).toMatchObject({ kind: 'body-schema', operation: 'GET /api/v1/__contract/drift', status: 200 });
    expect(v!.message).toContain('misses required property "name"');
    expect(v!.message).toContain('undeclared property "extra"');
    expect(v!.message).toContain('/id must match format "uuid"');
    expect(v!.message).toContain('/note must be string,null');
  });

  it('fails a status the operation does not declare', async () => {
    expect((await violationsOf('/api/v1/__contract/conflict'))[0]).toMatchObject({
      kind: 'undeclared-status',
      status: 409,
      contentType: 'application/problem+json',
    });
  });

  it('fails a route the app serves under the API prefix that the document lacks', async () => {
    expect((await violationsOf('/api/v1/__contract/hidden'))[0]).toMatchObject({
      kind: 'undeclared-operation',
      operation: 'GET /api/v1/__contract/hidden',
    });
  });

  it('does not count a request for a route that does not exist, nor routes outside the API', async () => {
    expect(await violationsOf('/api/v1/no-such-route')).toEqual([]);
    expect(await violationsOf('/openapi.json')).toEqual([]);
  });

  it("TestApp.request leaves a suite's test-only controllers alone and checks the product's routes", async () => {
    const drift = await t.request('/api/v1/__contract/drift');
    expect(
      t.contract().check({
        method: 'GET',
        path: '/api/v1/__contract/drift',
        status: 200,
        contentType: drift.headers.get('content-type'),
        hasBody: true,
        bodyText: await drift.text(),
      }),
    ).toEqual([]);
    const health = await t.request('/api/v1/health');
    expect(health.status).toBe(200);
    const check = t.contract().check({
      method: 'GET',
      path: '/api/v1/health',
      status: 200,
      contentType: health.headers.get('content-type'),
      hasBody: true,
      bodyText: JSON.stringify({ unexpected: true }),
    });
    expect(check).toHaveLength(1); // body-schema, or undeclared-body while health declares no content
  });
});
