import {
  IsArray,
  IsBoolean,
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { EnvBool, EnvCsv, EnvNumber, EnvString } from './env-decorators.js';
import { MaxCodePoints, MinCodePoints } from '../http/validation-decorators.js';

export const ENVIRONMENTS = ['development', 'test', 'staging', 'production'] as const;
export type Environment = (typeof ENVIRONMENTS)[number];

/**
 * Every setting the application reads, validated once at boot (see loadConfig).
 * Property names are the environment variable names; defaults follow the original
 * implementation's settings (reference §14) unless a comment says otherwise.
 */
export class AppConfig {
  // ── App ───────────────────────────────────────────────────────────────────
  @EnvString() @IsString() @MaxCodePoints(100) PROJECT_NAME = 'LMS Backend';
  @EnvString() @IsString() @MaxCodePoints(50) VERSION = '1.0.0';
  @EnvString() @IsIn(ENVIRONMENTS) ENVIRONMENT: Environment = 'development';
  @EnvBool() @IsBoolean() DEBUG = true;
  @EnvString() @Matches(/^\/[A-Za-z0-9/_-]*[A-Za-z0-9_-]$/) API_V1_PREFIX = '/api/v1';
  @EnvBool() @IsBoolean() ENABLE_API_DOCS = true;
  @EnvBool() @IsBoolean() METRICS_ENABLED = true;
  @EnvString() @Matches(/^\/[A-Za-z0-9/_-]+$/) METRICS_PATH = '/metrics';
  /** HTTP port of the API (ours; the original ran behind uvicorn on 8000). */
  @EnvNumber() @IsInt() @Min(0) @Max(65535) PORT = 8000;
  /**
   * Bind address. Loopback by default (the embedded development setup ships demo accounts);
   * containers and production set HOST=0.0.0.0 (the Dockerfile does).
   */
  @EnvString() @IsString() HOST = '127.0.0.1';
  @EnvString() @IsIn(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']) LOG_LEVEL = 'info';
  /** Where embedded PostgreSQL, mail files and uploads live when no external service is configured. */
  @EnvString() @IsString() DATA_DIR = './.data';
  /** Seconds the API waits for in-flight requests (and the worker for active jobs) on shutdown. */
  @EnvNumber() @IsInt() @Min(1) @Max(600) SHUTDOWN_TIMEOUT_SECONDS = 25;

  // ── Response envelope ───────────────────────────────────────────────────
  @EnvBool() @IsBoolean() API_RESPONSE_ENVELOPE_ENABLED = false;
  @EnvString() @IsString() @MaxCodePoints(200) API_RESPONSE_SUCCESS_MESSAGE = 'Success';
  @EnvCsv({ paths: true })
  @IsArray()
  @IsString({ each: true })
  API_RESPONSE_ENVELOPE_EXCLUDED_PATHS = [
    '/docs',
    '/redoc',
    '/openapi.json',
    '/metrics',
    '/api/v1/health',
    '/api/v1/ready',
    '/api/v1/auth/token',
  ];

  // ── Sentry ──────────────────────────────────────────────────────────────
  @EnvString() @IsOptional() @IsUrl({ require_tld: false }) SENTRY_DSN?: string;
  @EnvString() @IsOptional() @IsString() SENTRY_ENVIRONMENT?: string;
  @EnvString() @IsOptional() @IsString() SENTRY_RELEASE?: string;
  @EnvNumber() @IsNumber() @Min(0) @Max(1) SENTRY_TRACES_SAMPLE_RATE = 0;
  @EnvNumber() @IsNumber() @Min(0) @Max(1) SENTRY_PROFILES_SAMPLE_RATE = 0;
  @EnvBool() @IsBoolean() SENTRY_SEND_PII = false;

  // ── Webhooks (env-configured targets and managed endpoints) ─────────────
  @EnvBool() @IsBoolean() WEBHOOKS_ENABLED = false;
  @EnvCsv()
  @IsArray()
  @IsUrl({ require_tld: false, protocols: ['http', 'https'] }, { each: true })
  WEBHOOK_TARGET_URLS: string[] = [];
  @EnvString() @IsOptional() @IsString() WEBHOOK_SIGNING_SECRET?: string;
  @EnvNumber() @IsNumber() @Min(1) @Max(30) WEBHOOK_TIMEOUT_SECONDS = 5;
  /**
   * Lets endpoints use loopback and private addresses (tests, development; refused in production).
   * Link-local and cloud metadata addresses and non-http(s) schemes stay refused.
   */
  @EnvBool() @IsBoolean() WEBHOOK_ALLOW_PRIVATE_TARGETS = false;
  /** Deliveries one worker process sends at once (the webhooks queue's concurrency). */
  @EnvNumber() @IsInt() @Min(1) @Max(500) WEBHOOK_DELIVERY_CONCURRENCY = 32;
  /** Of those, at most this many to one endpoint (a slow endpoint cannot hold up the others). */
  @EnvNumber() @IsInt() @Min(1) @Max(100) WEBHOOK_ENDPOINT_CONCURRENCY = 4;
  /** An endpoint whose every attempt failed for this many days is disabled (admins are emailed). */
  @EnvNumber() @IsNumber() @Min(1) @Max(90) WEBHOOK_DISABLE_AFTER_DAYS = 5;
  /** After a secret rotation, the old secret keeps signing (beside the new one) for this many hours. */
  @EnvNumber() @IsNumber() @Min(0) @Max(720) WEBHOOK_SECRET_ROTATION_OVERLAP_HOURS = 24;

  // ── Database ────────────────────────────────────────────────────────────
  /** postgres://user:pass@host:5432/db. Unset: embedded PostgreSQL under DATA_DIR/pg. */
  @EnvString()
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// or postgresql:// URL' })
  DATABASE_URL?: string;
  /** Pool size per process. 10 measured faster than 20 on 2 cores (original default 20). */
  @EnvNumber() @IsInt() @Min(1) @Max(200) DB_POOL_SIZE = 10;
  /** Seconds to wait for a pooled connection. */
  @EnvNumber() @IsInt() @Min(1) @Max(300) DB_POOL_TIMEOUT = 30;
  /** Milliseconds before PostgreSQL cancels a statement (0 = no limit). */
  @EnvNumber() @IsInt() @Min(0) DB_STATEMENT_TIMEOUT_MS = 30000;
  /** Log every SQL statement (the original's SQLALCHEMY_ECHO). */
  @EnvBool() @IsBoolean() DB_ECHO = false;
  /** Apply pending migrations at start-up (under an advisory lock). Turn off to run them as a deploy step. */
  @EnvBool() @IsBoolean() DB_RUN_MIGRATIONS = true;
  /** TCP port of the embedded PostgreSQL server. */
  @EnvNumber() @IsInt() @Min(1) @Max(65535) EMBEDDED_PG_PORT = 54329;

  // ── Security / JWT ──────────────────────────────────────────────────────
  /** HS256 signing key, 32+ characters in production. Unset outside production: a random key kept in DATA_DIR. */
  @EnvString() @IsOptional() @IsString() SECRET_KEY?: string;
  @EnvString() @IsIn(['HS256']) ALGORITHM = 'HS256';
  @EnvNumber() @IsInt() @Min(1) @Max(1440) ACCESS_TOKEN_EXPIRE_MINUTES = 15;
  @EnvNumber() @IsInt() @Min(1) @Max(365) REFRESH_TOKEN_EXPIRE_DAYS = 30;
  @EnvNumber() @IsInt() @Min(1) @Max(1440) PASSWORD_RESET_TOKEN_EXPIRE_MINUTES = 30;
  @EnvNumber() @IsInt() @Min(1) @Max(10080) EMAIL_VERIFICATION_TOKEN_EXPIRE_MINUTES = 1440;
  @EnvBool() @IsBoolean() REQUIRE_EMAIL_VERIFICATION_FOR_LOGIN = false;
  @EnvNumber() @IsInt() @Min(1) @Max(60) MFA_CHALLENGE_TOKEN_EXPIRE_MINUTES = 10;
  @EnvBool() @IsBoolean() ACCESS_TOKEN_BLACKLIST_ENABLED = true;
  @EnvBool() @IsBoolean() ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED = true;
  @EnvString() @IsString() ACCESS_TOKEN_BLACKLIST_PREFIX = 'auth:blacklist:access';
  /** `iss` of every token the API mints and requires: a token from another issuer is refused (401). */
  @EnvString() @IsString() @Matches(/^[\x21-\x7e]{1,200}$/) JWT_ISSUER = 'lms';
  /** `aud` of every token the API mints and requires: a token for another audience is refused (401). */
  @EnvString() @IsString() @Matches(/^[\x21-\x7e]{1,200}$/) JWT_AUDIENCE = 'lms-api';
  /** Clock skew allowed for a token's `iat`/`nbf` in the future, in seconds (beyond it: 401). */
  @EnvNumber() @IsInt() @Min(0) @Max(300) JWT_CLOCK_SKEW_SECONDS = 30;
  @EnvBool() @IsBoolean() SECURITY_HEADERS_ENABLED = true;
  /** Peers whose X-Forwarded-For / X-Real-IP is trusted (exact IPs). */
  @EnvCsv() @IsArray() @IsString({ each: true }) TRUSTED_PROXY_IPS: string[] = [];
  /** bcrypt cost factor. */
  @EnvNumber() @IsInt() @Min(4) @Max(15) BCRYPT_ROUNDS = 12;
  @EnvString() @IsOptional() @IsString() BOOTSTRAP_ADMIN_EMAIL?: string;
  @EnvString() @IsOptional() @IsString() @MinCodePoints(8) @MaxCodePoints(128) BOOTSTRAP_ADMIN_PASSWORD?: string;
  /** Create demo accounts and content on an empty database (never in production). */
  @EnvBool() @IsBoolean() SEED_DEMO = false;

  // ── Email ───────────────────────────────────────────────────────────────
  @EnvString() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) FRONTEND_BASE_URL = 'http://localhost:3000';
  @EnvString() @IsOptional() @IsString() APP_DOMAIN?: string;
  @EnvString() @IsString() EMAIL_FROM = 'no-reply@lms.local';
  /** SMTP server. Unset: emails are written as .eml files under DATA_DIR/mail. */
  @EnvString() @IsOptional() @IsString() SMTP_HOST?: string;
  @EnvNumber() @IsInt() @Min(1) @Max(65535) SMTP_PORT = 587;
  @EnvString() @IsOptional() @IsString() SMTP_USERNAME?: string;
  @EnvString() @IsOptional() @IsString() SMTP_PASSWORD?: string;
  /** STARTTLS: required when true (the connection fails rather than sending in clear). */
  @EnvBool() @IsBoolean() SMTP_USE_TLS = true;
  /** Implicit TLS (port 465). */
  @EnvBool() @IsBoolean() SMTP_USE_SSL = false;

  // ── Azure Blob storage ──────────────────────────────────────────────────
  @EnvString() @IsOptional() @IsString() AZURE_STORAGE_CONNECTION_STRING?: string;
  @EnvString() @IsOptional() @IsString() AZURE_STORAGE_ACCOUNT_NAME?: string;
  @EnvString() @IsOptional() @IsString() AZURE_STORAGE_ACCOUNT_KEY?: string;
  @EnvString() @IsOptional() @IsUrl({ require_tld: false }) AZURE_STORAGE_ACCOUNT_URL?: string;
  @EnvString() @IsOptional() @IsString() AZURE_STORAGE_CONTAINER_NAME?: string;
  @EnvString() @IsOptional() @IsUrl({ require_tld: false }) AZURE_STORAGE_CONTAINER_URL?: string;

  // ── Cache ───────────────────────────────────────────────────────────────
  @EnvBool() @IsBoolean() CACHE_ENABLED = true;
  @EnvString() @IsString() CACHE_KEY_PREFIX = 'app:cache';
  @EnvNumber() @IsInt() @Min(1) CACHE_DEFAULT_TTL_SECONDS = 120;
  @EnvNumber() @IsInt() @Min(1) COURSE_CACHE_TTL_SECONDS = 120;
  @EnvNumber() @IsInt() @Min(1) LESSON_CACHE_TTL_SECONDS = 120;
  @EnvNumber() @IsInt() @Min(1) QUIZ_CACHE_TTL_SECONDS = 120;
  @EnvNumber() @IsInt() @Min(1) QUIZ_QUESTION_CACHE_TTL_SECONDS = 120;

  // ── HTTP ────────────────────────────────────────────────────────────────
  @EnvCsv() @IsArray() @IsString({ each: true }) CORS_ORIGINS = ['http://localhost:3000'];
  /** Accepted Host header values ("*" allows any; "*.example.com" allows subdomains). */
  @EnvCsv({ lowercase: true }) @IsArray() @IsString({ each: true }) TRUSTED_HOSTS = [
    'localhost',
    '127.0.0.1',
    'testserver',
  ];
  /** Largest accepted request body for JSON/form requests, in bytes (uploads have MAX_UPLOAD_MB). */
  @EnvNumber() @IsInt() @Min(1024) BODY_LIMIT_BYTES = 1048576;

  // ── Redis ───────────────────────────────────────────────────────────────
  /** redis://host:6379/0. Unset: queues on PostgreSQL, cache/rate limits/lockout in memory or PostgreSQL. */
  @EnvString()
  @IsOptional()
  @Matches(/^rediss?:\/\//, { message: 'must be a redis:// or rediss:// URL' })
  REDIS_URL?: string;

  // ── Quizzes ─────────────────────────────────────────────────────────────
  /** Seconds after an attempt's deadline (started_at + time limit) during which a submit is still accepted (network latency). */
  @EnvNumber() @IsInt() @Min(0) @Max(300) QUIZ_SUBMIT_GRACE_SECONDS = 10;
  /** How often the worker finalizes in-progress attempts whose deadline (plus grace) has passed. */
  @EnvNumber() @IsInt() @Min(1) @Max(3600) QUIZ_EXPIRY_SWEEP_SECONDS = 60;

  // ── Queues and outbox ───────────────────────────────────────────────────
  /** BullMQ key prefix on Redis: lets several deployments (or test runs) share one Redis. */
  @EnvString() @Matches(/^[A-Za-z0-9_-]{1,64}$/) QUEUE_PREFIX = 'bull';
  /** Run queue processors inside the API process ("npm start" turns this on). */
  @EnvBool() @IsBoolean() WORKERS_IN_PROCESS = false;
  @EnvNumber() @IsInt() @Min(1) @Max(100) QUEUE_CONCURRENCY = 5;
  @EnvNumber() @IsInt() @Min(1) @Max(50) JOB_ATTEMPTS = 8;
  @EnvNumber() @IsInt() @Min(10) JOB_BACKOFF_MS = 2000;
  /**
   * How long a worker's claim on a running job lasts (renewed every half of it while the job runs).
   * A worker that dies loses its jobs to another after at most this plus JOB_STALLED_INTERVAL_MS; a
   * job that blocks its process's event loop for longer is taken as stalled and may run twice.
   */
  @EnvNumber() @IsInt() @Min(1000) @Max(600_000) JOB_LOCK_DURATION_MS = 15_000;
  /** How often workers look for jobs whose claim ran out (their worker died). */
  @EnvNumber() @IsInt() @Min(500) @Max(600_000) JOB_STALLED_INTERVAL_MS = 10_000;
  /**
   * Seconds between re-assertions of the job schedulers (quiz expiry, orphan sweeps): a broker that
   * lost them (restarted empty, flushed, failed over) has them back within this, without a restart.
   */
  @EnvNumber() @IsInt() @Min(1) @Max(86_400) JOB_SCHEDULER_REASSERT_SECONDS = 60;
  @EnvNumber() @IsInt() @Min(10) OUTBOX_POLL_INTERVAL_MS = 500;
  @EnvNumber() @IsInt() @Min(1) @Max(1000) OUTBOX_BATCH_SIZE = 100;
  /**
   * Seconds after publishing an outbox event at which its jobs are added again (same job ids, so a
   * job the broker still holds is not duplicated) unless every one recorded its processing; again
   * every as many seconds, for at most 7 days. Covers a broker that lost acknowledged jobs.
   */
  @EnvNumber() @IsInt() @Min(1) @Max(86_400) OUTBOX_REDELIVER_AFTER_SECONDS = 300;
  /** Port of the worker's own /health and /metrics server (0 = none). */
  @EnvNumber() @IsInt() @Min(0) @Max(65535) WORKER_HTTP_PORT = 9100;

  // ── Rate limiting ───────────────────────────────────────────────────────
  @EnvBool() @IsBoolean() RATE_LIMIT_ENABLED = true;
  @EnvBool() @IsBoolean() RATE_LIMIT_USE_REDIS = true;
  @EnvNumber() @IsInt() @Min(1) RATE_LIMIT_REQUESTS_PER_MINUTE = 100;
  @EnvNumber() @IsInt() @Min(1) RATE_LIMIT_WINDOW_SECONDS = 60;
  @EnvString() @IsString() RATE_LIMIT_REDIS_PREFIX = 'ratelimit';
  @EnvCsv({ paths: true }) @IsArray() @IsString({ each: true }) RATE_LIMIT_EXCLUDED_PATHS = [
    '/',
    '/docs',
    '/redoc',
    '/openapi.json',
    '/api/v1/health',
    '/api/v1/ready',
  ];
  @EnvNumber() @IsInt() @Min(1) AUTH_RATE_LIMIT_REQUESTS_PER_MINUTE = 60;
  @EnvNumber() @IsInt() @Min(1) AUTH_RATE_LIMIT_WINDOW_SECONDS = 60;
  @EnvCsv({ paths: true }) @IsArray() @IsString({ each: true }) AUTH_RATE_LIMIT_PATHS = [
    '/api/v1/auth/login',
    '/api/v1/auth/token',
    '/api/v1/auth/login/mfa',
    '/api/v1/auth/login-cookie',
  ];
  @EnvNumber() @IsInt() @Min(1) FILE_UPLOAD_RATE_LIMIT_REQUESTS_PER_HOUR = 100;
  @EnvNumber() @IsInt() @Min(1) FILE_UPLOAD_RATE_LIMIT_WINDOW_SECONDS = 3600;
  @EnvCsv({ paths: true }) @IsArray() @IsString({ each: true }) FILE_UPLOAD_RATE_LIMIT_PATHS = ['/api/v1/files/upload'];

  // ── Lockout ─────────────────────────────────────────────────────────────
  @EnvNumber() @IsInt() @Min(1) MAX_FAILED_LOGIN_ATTEMPTS = 5;
  @EnvNumber() @IsInt() @Min(1) ACCOUNT_LOCKOUT_DURATION_SECONDS = 900;

  // ── Files ───────────────────────────────────────────────────────────────
  /** Local upload directory (relative paths are under DATA_DIR). */
  @EnvString() @IsString() UPLOAD_DIR = 'uploads';
  /** Key prefix of the certificate PDFs in the files storage (local or Azure). */
  @EnvString()
  @Matches(/^[A-Za-z0-9_-]+(\/[A-Za-z0-9_-]+)*$/, { message: 'must be a relative folder of [A-Za-z0-9_-] segments' })
  CERTIFICATES_DIR = 'certificates';
  @EnvNumber() @IsInt() @Min(1) @Max(10240) MAX_UPLOAD_MB = 100;
  @EnvCsv({ lowercase: true }) @IsArray() @IsString({ each: true }) ALLOWED_UPLOAD_EXTENSIONS = [
    'mp4',
    'avi',
    'mov',
    'pdf',
    'doc',
    'docx',
    'jpg',
    'jpeg',
    'png',
  ];
  /** "azure" falls back to "local" outside production when Azure is not configured. */
  @EnvString() @IsIn(['local', 'azure']) FILE_STORAGE_PROVIDER: 'local' | 'azure' = 'azure';
  @EnvNumber() @IsInt() @Min(1) @Max(604800) FILE_DOWNLOAD_URL_EXPIRE_SECONDS = 900;
  /** Bytes a user may keep in uploads, in MiB (ours; 0 = unlimited). Over it an upload is 413 quota_exceeded. */
  @EnvNumber() @IsInt() @Min(0) USER_STORAGE_QUOTA_MB = 1024;
  /** Seconds between orphan sweeps (stored objects older than an hour that no file row references; ours). */
  @EnvNumber() @IsInt() @Min(10) @Max(86400) FILE_ORPHAN_SWEEP_SECONDS = 3600;

  // ── Certificates ────────────────────────────────────────────────────────
  /**
   * The API's public origin (scheme, host, port, no path): absolute links in certificate emails and in
   * signed credentials (issuer, status list). Default: http://localhost:<PORT>.
   */
  @EnvString() @IsOptional() @IsUrl({ require_tld: false, protocols: ['http', 'https'] }) PUBLIC_API_URL?: string;
  /**
   * The verification page printed on certificates and in their QR code; `{certificate_number}` and
   * `{certificate_id}` are replaced. Default: FRONTEND_BASE_URL + /certificates/verify/{certificate_number}.
   */
  @EnvString() @IsOptional() @IsString() CERTIFICATE_VERIFY_URL_TEMPLATE?: string;
  /** Issuer name on certificates and credentials. */
  @EnvString() @IsString() @MaxCodePoints(200) CERTIFICATE_ISSUER_NAME = 'LMS';
  /**
   * Ed25519 private key signing the Open Badges credentials (PKCS#8 PEM or private JWK). Required in
   * production; elsewhere one is generated once and kept in DATA_DIR/certificate-signing-key.pem.
   */
  @EnvString() @IsOptional() @IsString() CERTIFICATE_SIGNING_KEY?: string;
  /** Public keys (JWK array or SPKI PEM blocks) of retired signing keys, so credentials they signed still verify. */
  @EnvString() @IsOptional() @IsString() CERTIFICATE_SIGNING_PREVIOUS_KEYS?: string;

  // ── Derived ─────────────────────────────────────────────────────────────
  get isProduction(): boolean {
    return this.ENVIRONMENT === 'production';
  }
  get docsEnabled(): boolean {
    return this.ENABLE_API_DOCS && !this.isProduction;
  }
  get maxUploadBytes(): number {
    return this.MAX_UPLOAD_MB * 1024 * 1024;
  }
  get azureConfigured(): boolean {
    return Boolean(
      (this.AZURE_STORAGE_CONNECTION_STRING || this.AZURE_STORAGE_ACCOUNT_URL || this.AZURE_STORAGE_CONTAINER_URL) &&
      (this.AZURE_STORAGE_CONTAINER_NAME || this.AZURE_STORAGE_CONTAINER_URL),
    );
  }
  get effectiveStorageProvider(): 'local' | 'azure' {
    if (this.FILE_STORAGE_PROVIDER === 'azure' && !this.azureConfigured && !this.isProduction) return 'local';
    return this.FILE_STORAGE_PROVIDER;
  }
  get publicApiUrl(): string {
    return (this.PUBLIC_API_URL ?? `http://localhost:${this.PORT}`).replace(/\/+$/, '');
  }
  get queueBackend(): 'redis' | 'postgres' {
    return this.REDIS_URL ? 'redis' : 'postgres';
  }
}
