import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { getMetadataStorage, validateSync, type ValidationError } from 'class-validator';
import { AppConfig } from './app-config.js';

export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigValidationError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p.variable}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

const PLACEHOLDER_SECRETS = [
  'change-me',
  'changeme',
  'change_me',
  'secret',
  'your-secret-key',
  'your_secret_key',
  'replace-me',
  'placeholder',
  'dev-secret',
];

function isPlaceholderSecret(value: string): boolean {
  const v = value.toLowerCase();
  return PLACEHOLDER_SECRETS.some((p) => v.includes(p)) || /^(.)\1+$/.test(v);
}

function flatten(errors: ValidationError[]): ConfigProblem[] {
  return errors.flatMap((e) => {
    const messages = Object.values(e.constraints ?? {});
    const own = messages.map((m) => ({
      variable: e.property,
      message: `${m.replace(`${e.property} `, '')} (got ${JSON.stringify(e.value)})`,
    }));
    return [...own, ...flatten(e.children ?? [])];
  });
}

let names: string[] | undefined;

/** Every setting of AppConfig: properties carrying validation decorators (optional ones have no initializer). */
export function settingNames(): string[] {
  names ??= [
    ...new Set(
      getMetadataStorage()
        .getTargetValidationMetadatas(AppConfig, '', true, false)
        .map((m) => m.propertyName),
    ),
  ];
  return names;
}

/**
 * Builds the typed configuration from an environment map. Pure: no I/O.
 * Throws ConfigValidationError naming every bad variable.
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const picked: Record<string, string> = {};
  for (const key of settingNames()) {
    const value = env[key];
    if (value !== undefined) picked[key] = value;
  }
  const config = plainToInstance(AppConfig, picked, { exposeDefaultValues: true });
  const problems = flatten(validateSync(config, { forbidUnknownValues: false }));

  if (config.isProduction) {
    if (config.DEBUG) problems.push({ variable: 'DEBUG', message: 'must be false in production' });
    if (!config.SECRET_KEY || config.SECRET_KEY.length < 32) {
      problems.push({ variable: 'SECRET_KEY', message: 'must be set to at least 32 characters in production' });
    } else if (isPlaceholderSecret(config.SECRET_KEY)) {
      problems.push({ variable: 'SECRET_KEY', message: 'looks like a placeholder; generate a random value' });
    }
    if (config.ACCESS_TOKEN_BLACKLIST_ENABLED && !config.ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED) {
      problems.push({
        variable: 'ACCESS_TOKEN_BLACKLIST_FAIL_CLOSED',
        message: 'must be true in production while ACCESS_TOKEN_BLACKLIST_ENABLED is true',
      });
    }
    if (env.ENABLE_API_DOCS !== undefined && config.ENABLE_API_DOCS) {
      problems.push({ variable: 'ENABLE_API_DOCS', message: 'API docs cannot be enabled in production' });
    }
    if (!config.DATABASE_URL) {
      problems.push({
        variable: 'DATABASE_URL',
        message: 'is required in production (embedded PostgreSQL is for development)',
      });
    }
    if (config.SEED_DEMO) problems.push({ variable: 'SEED_DEMO', message: 'must be false in production' });
    if (config.WEBHOOK_ALLOW_PRIVATE_TARGETS) {
      problems.push({ variable: 'WEBHOOK_ALLOW_PRIVATE_TARGETS', message: 'must be false in production' });
    }
    if (!config.CERTIFICATE_SIGNING_KEY) {
      problems.push({
        variable: 'CERTIFICATE_SIGNING_KEY',
        message: 'is required in production (an Ed25519 private key, PKCS#8 PEM or JWK)',
      });
    }
    if (config.FILE_STORAGE_PROVIDER === 'azure' && !config.azureConfigured) {
      problems.push({
        variable: 'AZURE_STORAGE_CONTAINER_NAME',
        message:
          'FILE_STORAGE_PROVIDER=azure needs AZURE_STORAGE_CONTAINER_NAME plus AZURE_STORAGE_CONNECTION_STRING or AZURE_STORAGE_ACCOUNT_URL (or AZURE_STORAGE_CONTAINER_URL), or set FILE_STORAGE_PROVIDER=local',
      });
    }
  } else if (config.SECRET_KEY !== undefined && config.SECRET_KEY.length < 16) {
    problems.push({ variable: 'SECRET_KEY', message: 'must be at least 16 characters (32+ in production)' });
  }
  if (config.SMTP_USE_SSL && config.SMTP_USE_TLS && env.SMTP_USE_TLS !== undefined) {
    problems.push({
      variable: 'SMTP_USE_TLS',
      message: 'cannot be combined with SMTP_USE_SSL (choose STARTTLS or implicit TLS)',
    });
  }
  if ((config.BOOTSTRAP_ADMIN_EMAIL === undefined) !== (config.BOOTSTRAP_ADMIN_PASSWORD === undefined)) {
    problems.push({
      variable: config.BOOTSTRAP_ADMIN_EMAIL ? 'BOOTSTRAP_ADMIN_PASSWORD' : 'BOOTSTRAP_ADMIN_EMAIL',
      message: 'BOOTSTRAP_ADMIN_EMAIL and BOOTSTRAP_ADMIN_PASSWORD must be set together',
    });
  }

  if (problems.length > 0) throw new ConfigValidationError(problems);
  return config;
}

/** Resolves a path setting against DATA_DIR unless it is absolute. */
export function dataPath(config: AppConfig, ...parts: string[]): string {
  const base = resolve(config.DATA_DIR);
  const first = parts[0];
  if (first !== undefined && isAbsolute(first)) return join(...parts);
  return join(base, ...parts);
}

/**
 * Outside production an unset SECRET_KEY is replaced by a random key kept in DATA_DIR/secret-key,
 * so tokens survive restarts of a development server. Production requires SECRET_KEY (checked above).
 */
export function ensureSecretKey(config: AppConfig): AppConfig {
  if (config.SECRET_KEY) return config;
  const file = dataPath(config, 'secret-key');
  let key: string;
  try {
    key = readFileSync(file, 'utf8').trim();
  } catch {
    key = '';
  }
  if (key.length < 32) {
    key = randomBytes(48).toString('base64url');
    mkdirSync(dataPath(config), { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
  }
  config.SECRET_KEY = key;
  return config;
}
