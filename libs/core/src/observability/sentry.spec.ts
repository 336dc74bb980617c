import { jest } from '@jest/globals';
import { loadConfig } from '../config/load-config.js';
import { errorReporterEnabled, reportError, setErrorReporterClient } from './error-reporter.js';
import { initSentry, sentryOptions } from './sentry.js';

describe('sentryOptions', () => {
  it('is undefined without SENTRY_DSN', () => {
    expect(sentryOptions(loadConfig({ ENVIRONMENT: 'test' }))).toBeUndefined();
  });

  it('maps the SENTRY_* settings', () => {
    const config = loadConfig({
      ENVIRONMENT: 'staging',
      SENTRY_DSN: 'https://public@sentry.example.com/42',
      SENTRY_ENVIRONMENT: 'eu-staging',
      SENTRY_RELEASE: 'lms@2.3.4',
      SENTRY_TRACES_SAMPLE_RATE: '0.25',
      SENTRY_PROFILES_SAMPLE_RATE: '0.5',
      SENTRY_SEND_PII: 'true',
    });
    expect(sentryOptions(config)).toEqual({
      dsn: 'https://public@sentry.example.com/42',
      environment: 'eu-staging',
      release: 'lms@2.3.4',
      tracesSampleRate: 0.25,
      sendDefaultPii: true,
    });
  });

  it('defaults the environment to ENVIRONMENT and the release to PROJECT_NAME@VERSION', () => {
    const config = loadConfig({
      ENVIRONMENT: 'staging',
      PROJECT_NAME: 'LMS Backend',
      VERSION: '1.2.0',
      SENTRY_DSN: 'https://public@sentry.example.com/42',
    });
    expect(sentryOptions(config)).toEqual({
      dsn: 'https://public@sentry.example.com/42',
      environment: 'staging',
      release: 'lms-backend@1.2.0',
      tracesSampleRate: 0,
      sendDefaultPii: false,
    });
  });
});

describe('initSentry', () => {
  it('does nothing (and loads no SDK) without SENTRY_DSN', async () => {
    await expect(initSentry(loadConfig({ ENVIRONMENT: 'test' }))).resolves.toBe(false);
    expect(errorReporterEnabled()).toBe(false);
  });
});

describe('reportError', () => {
  afterEach(() => setErrorReporterClient(undefined));

  it('is a no-op without an initialised client', () => {
    expect(errorReporterEnabled()).toBe(false);
    expect(() => reportError(new Error('boom'), { requestId: 'r1' })).not.toThrow();
  });

  it('sends the error with request_id, route and method tags', () => {
    const captureException = jest.fn();
    setErrorReporterClient({ captureException });
    const error = new Error('boom');
    reportError(error, { requestId: 'req-1', method: 'POST', route: '/api/v1/courses/:id' });
    expect(captureException).toHaveBeenCalledTimes(1);
    expect(captureException).toHaveBeenCalledWith(error, {
      tags: { request_id: 'req-1', route: '/api/v1/courses/:id', method: 'POST' },
    });
  });

  it('omits missing tags', () => {
    const captureException = jest.fn();
    setErrorReporterClient({ captureException });
    reportError('plain', { method: 'GET' });
    expect(captureException).toHaveBeenCalledWith('plain', { tags: { method: 'GET' } });
  });

  it('never throws, even when the client does', () => {
    setErrorReporterClient({
      captureException: () => {
        throw new Error('transport failure');
      },
    });
    expect(() => reportError(new Error('boom'))).not.toThrow();
  });
});
