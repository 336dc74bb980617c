import { randomBytes } from 'node:crypto';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { Public } from '#core';
import { createTestApp, type TestApp } from '#testing';

@Public()
@Controller('obs-probe')
class ProbeController {
  @Get('items/:id')
  item(@Param('id') id: string): { id: string } {
    return { id };
  }
}

@Module({ controllers: [ProbeController] })
class ProbeModule {}

const PRODUCTION_ENV = {
  ENVIRONMENT: 'production',
  DEBUG: 'false',
  SECRET_KEY: randomBytes(32).toString('hex'),
  DATABASE_URL: 'postgres://lms:lms@127.0.0.1:5432/lms',
  FILE_STORAGE_PROVIDER: 'local',
};

describe('metrics and API docs (development)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, env: { ENVIRONMENT: 'development' }, extraModules: [ProbeModule] });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves Prometheus text at /metrics (root) with HTTP metrics labelled by route template', async () => {
    expect((await t.request('/api/v1/obs-probe/items/42')).status).toBe(200);
    expect((await t.request('/api/v1/obs-probe/items/43')).status).toBe(200);
    expect((await t.request('/api/v1/no-such-route/123')).status).toBe(404);
    expect((await t.request('/metrics')).status).toBe(200);

    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();

    const probe = 'method="GET",route="/api/v1/obs-probe/items/:id",status_code="200"';
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain(`http_request_duration_seconds_count{${probe}} 2`);
    expect(text).toMatch(new RegExp(`http_request_duration_seconds_bucket\\{le="\\+Inf",${probe}\\} 2`));
    expect(text).toContain(`http_requests_total{${probe}} 2`);
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status_code="404"} 1');
    // Raw URLs never become label values; the metrics route is not recorded.
    expect(text).not.toContain('/items/42');
    expect(text).not.toContain('no-such-route');
    expect(text).not.toContain('route="/metrics"');
    // Default process metrics.
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('does not serve metrics under the API prefix', async () => {
    expect((await t.request('/api/v1/metrics')).status).toBe(404);
  });

  it('serves the OpenAPI document at /openapi.json with the security schemes and ProblemDetails', async () => {
    const res = await t.request('/openapi.json');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    const doc = (await res.json()) as {
      info: { title: string; version: string };
      paths: Record<string, Record<string, { tags?: string[] }>>;
      components: { securitySchemes: Record<string, unknown>; schemas: Record<string, { properties: object }> };
    };
    expect(doc.info).toMatchObject({ title: t.config.PROJECT_NAME, version: t.config.VERSION });
    expect(doc.components.securitySchemes.bearer).toEqual({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' });
    expect(doc.components.securitySchemes.cookie).toEqual({ type: 'apiKey', in: 'cookie', name: 'access_token' });
    expect(doc.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { password: { tokenUrl: '/api/v1/auth/token' } },
    });
    expect(Object.keys(doc.components.schemas.ProblemDetails?.properties ?? {}).sort()).toEqual(
      ['code', 'detail', 'errors', 'instance', 'request_id', 'status', 'title', 'type'].sort(),
    );
    expect(doc.paths['/api/v1/health']?.get?.tags).toEqual(['health']);
    expect(doc.paths['/api/v1/ready']?.get).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/ready']?.get ?? {})).toContain('responses');
  });

  it('serves Swagger UI at /docs', async () => {
    const res = await t.request('/docs');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('swagger-ui');
  });
});

describe('metrics disabled', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, env: { METRICS_ENABLED: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('has no /metrics route', async () => {
    expect((await t.request('/metrics')).status).toBe(404);
  });
});

describe('production', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, env: PRODUCTION_ENV });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves neither /docs nor /openapi.json', async () => {
    expect(t.config.isProduction).toBe(true);
    expect((await t.request('/docs')).status).toBe(404);
    expect((await t.request('/openapi.json')).status).toBe(404);
  });

  it('still serves /metrics', async () => {
    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('http_requests_total');
  });
});
