import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { transformFile } from '@swc/core';

/**
 * The real SDK path runs in a child `node` process, as in production (Sentry.init must run before
 * the app's modules load, which a jest worker that already loaded them cannot show): initSentry + reportError against a local HTTP server
 * standing in for Sentry, which records the envelopes it receives. Nothing leaves 127.0.0.1.
 */
const RUNNER = `
import http from 'node:http';
const received = [];
const server = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => { received.push(body); res.writeHead(200); res.end('{}'); });
});
await new Promise((r) => server.listen(0, '127.0.0.1', r));
const { initSentry, flushSentry } = await import('./sentry.js');
const { reportError } = await import('./error-reporter.js');
const ok = await initSentry({
  SENTRY_DSN: 'http://publickey@127.0.0.1:' + server.address().port + '/7',
  SENTRY_ENVIRONMENT: 'ci', ENVIRONMENT: 'test', SENTRY_RELEASE: 'lms@9.9.9', PROJECT_NAME: 'LMS Backend',
  VERSION: '1.0.0', SENTRY_TRACES_SAMPLE_RATE: 0, SENTRY_SEND_PII: false,
});
reportError(new Error('probe failure'), { requestId: 'req-9', method: 'GET', route: '/api/v1/x/:id' });
await flushSentry(5000);
server.close();
process.stdout.write(JSON.stringify({ ok, received }));
`;

describe('Sentry reporting (child process, real SDK)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lms-sentry-'));
    symlinkSync(resolve('node_modules'), join(dir, 'node_modules'), 'dir');
    writeFileSync(join(dir, 'package.json'), '{"type":"module"}');
    for (const name of ['sentry', 'error-reporter']) {
      const out = await transformFile(resolve(`libs/core/src/observability/${name}.ts`), {
        jsc: { target: 'es2023', parser: { syntax: 'typescript' } },
        module: { type: 'es6' },
      });
      writeFileSync(join(dir, `${name}.js`), out.code);
    }
    writeFileSync(join(dir, 'runner.mjs'), RUNNER);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('sends the error to the DSN with request tags, environment and release', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['runner.mjs'], {
      cwd: dir,
      timeout: 20000,
    });
    const { ok, received } = JSON.parse(stdout) as { ok: boolean; received: string[] };
    expect(ok).toBe(true);
    const events = received
      .flatMap((body) => body.split('\n'))
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((item) => typeof item.exception === 'object');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      environment: 'ci',
      release: 'lms@9.9.9',
      tags: { request_id: 'req-9', method: 'GET', route: '/api/v1/x/:id' },
      exception: { values: [{ type: 'Error', value: 'probe failure' }] },
    });
  }, 30000);
});
