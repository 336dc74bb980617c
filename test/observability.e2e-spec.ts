import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Controller, Get, Module, Param } from '@nestjs/common';
import { register } from 'prom-client';
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
  CERTIFICATE_SIGNING_KEY: generateKeyPairSync('ed25519')
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString(),
};

/** A 404 answered by the application's problem+json filter (not a framework default body). */
async function expectProblem404(res: Response): Promise<void> {
  expect(res.status).toBe(404);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await res.json()).toMatchObject({ status: 404, code: 'not_found' });
}

/** The value of one Prometheus sample (undefined when the series does not exist). */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

// First, while nothing in this file has turned metrics on: prom-client's registry is per test file.
describe('metrics and API docs disabled', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({ workers: false, env: { METRICS_ENABLED: 'false', ENABLE_API_DOCS: 'false' } });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('has no /metrics route, records no HTTP metrics and collects no process metrics', async () => {
    expect((await t.request('/api/v1/health')).status).toBe(200);
    await expectProblem404(await t.request('/metrics'));
    expect(register.getSingleMetric('http_requests_total')).toBeUndefined();
    expect(register.getSingleMetric('process_cpu_user_seconds_total')).toBeUndefined();
  });

  it('has no /docs, no Swagger UI assets and no /openapi.json', async () => {
    for (const path of ['/docs', '/docs/', '/docs/swagger-ui.css', '/docs/swagger-ui-init.js', '/openapi.json']) {
      await expectProblem404(await t.request(path));
    }
  });
});

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

    // No token: the endpoint is public although the global guard is deny-by-default.
    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe(register.contentType);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await res.text();

    const probe = 'method="GET",route="/api/v1/obs-probe/items/:id",status_code="200"';
    expect(text).toContain('# TYPE http_requests_total counter');
    expect(text).toContain('# TYPE http_request_duration_seconds histogram');
    expect(text).toContain(`http_request_duration_seconds_count{${probe}} 2`);
    expect(text).toMatch(new RegExp(`http_request_duration_seconds_bucket\\{le="\\+Inf",${probe}\\} 2`));
    expect(text).toMatch(new RegExp(`http_request_duration_seconds_bucket\\{le="0.005",${probe}\\} \\d+`));
    expect(text).toContain(`http_requests_total{${probe}} 2`);
    expect(text).toContain('http_requests_total{method="GET",route="unmatched",status_code="404"} 1');
    // Raw URLs never become label values; the metrics route is not recorded.
    expect(text).not.toContain('/items/42');
    expect(text).not.toContain('no-such-route');
    expect(text).not.toContain('route="/metrics"');
    // Queue metrics (same default registry) and default process metrics.
    expect(text).toContain('# TYPE lms_job_duration_seconds histogram');
    expect(text).toContain('# TYPE lms_job_failures_total counter');
    expect(text).toContain('# TYPE lms_queue_jobs gauge');
    expect(text).toContain('process_cpu_user_seconds_total');
    expect(text).toContain('nodejs_eventloop_lag_seconds');
  });

  it('does not serve metrics under the API prefix', async () => {
    await expectProblem404(await t.request('/api/v1/metrics'));
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
    // (Each scheme also carries a description: the JWT ones name RFC8725, as the OWASP lint asks.)
    expect(doc.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(doc.components.securitySchemes.cookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'access_token' });
    expect(doc.components.securitySchemes.oauth2).toMatchObject({
      type: 'oauth2',
      flows: { password: { tokenUrl: '/api/v1/auth/token' } },
    });
    expect(Object.keys(doc.components.schemas.ProblemDetails?.properties ?? {}).sort()).toEqual(
      [
        'code',
        'detail',
        'errors',
        'instance',
        'request_id',
        'status',
        'title',
        'type',
        // Extension members of some codes.
        'attempt_id',
        'course_ids',
        'missing_course_ids',
        'position',
        'question_id',
        'reason',
      ].sort(),
    );
    expect(doc.paths['/api/v1/health']?.get?.tags).toEqual(['health']);
    expect(doc.paths['/api/v1/ready']?.get).toBeDefined();
    expect(Object.keys(doc.paths['/api/v1/ready']?.get ?? {})).toContain('responses');
    // The metrics endpoint is not part of the API.
    expect(Object.keys(doc.paths).filter((p) => p.includes('metrics'))).toEqual([]);
  });

  it('serves Swagger UI at /docs whose every asset loads with its content type under the security headers', async () => {
    for (const page of ['/docs', '/docs/']) {
      const res = await t.request(page);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/html/);
      // Assets come from the same origin: the CSP must allow 'self' scripts, styles and images
      // (and the inline <style> of the page).
      const csp = res.headers.get('content-security-policy') ?? '';
      const directive = (name: string) =>
        csp
          .split(';')
          .map((d) => d.trim().split(/\s+/))
          .find(([n]) => n === name)
          ?.slice(1) ?? [];
      expect(directive('script-src')).toContain("'self'");
      expect(directive('style-src')).toEqual(expect.arrayContaining(["'self'", "'unsafe-inline'"]));
      expect(directive('img-src')).toContain("'self'");
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');

      const html = await res.text();
      expect(html).toContain('<div id="swagger-ui"></div>');
      expect(html).toContain(`<title>${t.config.PROJECT_NAME} API</title>`);
      const refs = [...html.matchAll(/<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"/g)].map((m) => m[1] ?? '');
      const urls = refs.map((ref) => new URL(ref, `${t.baseUrl}${page}`));
      expect(urls.map((u) => u.pathname).sort()).toEqual(
        [
          '/docs/favicon-16x16.png',
          '/docs/favicon-32x32.png',
          '/docs/swagger-ui-bundle.js',
          '/docs/swagger-ui-init.js',
          '/docs/swagger-ui-standalone-preset.js',
          '/docs/swagger-ui.css',
        ].sort(),
      );
      for (const url of urls) {
        const asset = await fetch(url);
        const body = await asset.arrayBuffer();
        expect({ url: url.pathname, status: asset.status }).toEqual({ url: url.pathname, status: 200 });
        expect(body.byteLength).toBeGreaterThan(0);
        const type = asset.headers.get('content-type') ?? '';
        if (url.pathname.endsWith('.css')) expect(type).toMatch(/^text\/css/);
        else if (url.pathname.endsWith('.js')) expect(type).toMatch(/^(application|text)\/javascript/);
        else expect(type).toBe('image/png');
      }
    }
  });

  it('configures Swagger UI with the document, persistAuthorization and the OAuth2 password flow', async () => {
    const res = await t.request('/docs/swagger-ui-init.js');
    expect(res.status).toBe(200);
    const js = await res.text();
    expect(js).toMatch(/"persistAuthorization": true/);
    // The document is embedded: its password flow posts credentials to the API's token endpoint.
    expect(js).toMatch(/"tokenUrl": "\/api\/v1\/auth\/token"/);
    expect(js).toContain('"/api/v1/health"');

    const redirect = await t.request('/docs/oauth2-redirect.html');
    expect(redirect.status).toBe(200);
    expect(redirect.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('answers unknown Swagger UI assets with a problem+json 404', async () => {
    await expectProblem404(await t.request('/docs/no-such-asset.css'));
    await expectProblem404(await t.request('/api/v1/docs'));
  });

  it('records Swagger UI requests by route template', async () => {
    expect((await t.request('/docs/swagger-ui.css')).status).toBe(200);
    const text = await (await t.request('/metrics')).text();
    expect(sample(text, 'http_requests_total{method="GET",route="/docs",status_code="200"}')).toBeGreaterThan(0);
    expect(sample(text, 'http_requests_total{method="GET",route="/docs/*",status_code="200"}')).toBeGreaterThan(0);
    expect(text).not.toContain('swagger-ui.css');
  });
});

describe('metrics at a custom METRICS_PATH, with rate limits and the envelope on', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp({
      workers: false,
      extraModules: [ProbeModule],
      env: {
        METRICS_PATH: '/internal/prometheus',
        RATE_LIMIT_ENABLED: 'true',
        RATE_LIMIT_USE_REDIS: 'false',
        RATE_LIMIT_REQUESTS_PER_MINUTE: '2',
        API_RESPONSE_ENVELOPE_ENABLED: 'true',
        API_RESPONSE_ENVELOPE_EXCLUDED_PATHS: '/api/v1/health',
      },
    });
  });
  afterAll(async () => {
    await t?.close();
  });

  it('serves METRICS_PATH at the root, unwrapped and never rate limited', async () => {
    for (let i = 0; i < 5; i++) {
      const res = await t.request('/internal/prometheus');
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe(register.contentType);
      expect(res.headers.get('x-ratelimit-limit')).toBeNull();
      const text = await res.text();
      expect(text).toContain('# TYPE http_requests_total counter');
      expect(text).not.toContain('route="/internal/prometheus"');
    }
    await expectProblem404(await t.request('/metrics'));
    await expectProblem404(await t.request('/api/v1/internal/prometheus'));
  });

  it('still limits and envelopes the API routes', async () => {
    const first = await t.request('/api/v1/obs-probe/items/1');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-ratelimit-limit')).toBe('2');
    expect(await first.json()).toMatchObject({ success: true, data: { id: '1' } });
    expect((await t.request('/api/v1/obs-probe/items/1')).status).toBe(200);
    expect((await t.request('/api/v1/obs-probe/items/1')).status).toBe(429);
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
    for (const path of ['/docs', '/docs/swagger-ui-bundle.js', '/openapi.json']) {
      await expectProblem404(await t.request(path));
    }
  });

  it('still serves /metrics', async () => {
    const res = await t.request('/metrics');
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('http_requests_total');
  });
});
