import {
  Global,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig } from '../config/app-config.js';

/** A command that gets no answer within this long fails (and opens the circuit). */
export const REDIS_COMMAND_TIMEOUT_MS = 2000;
/** While the circuit is open, a PING is tried this often (and must answer within this long) to close it. */
export const REDIS_PROBE_INTERVAL_MS = 500;

/** What a command gets at once while Redis is known to be down (a dependency error: 503 if unhandled). */
export class RedisUnavailableError extends Error {
  override readonly name = 'RedisUnavailableError';
  constructor() {
    super('Redis is unavailable (circuit open): command not sent');
  }
}

/** The settings BullMQ and the token/lockout counters need of the server (README, production). */
export interface RedisServerSettings {
  maxmemoryPolicy: string;
  appendonly: string;
}

/** Errors of a command that mean the connection, not the command, is at fault. */
function isConnectionFailure(err: unknown): boolean {
  const message = err instanceof Error ? err.message : '';
  return (
    /Command timed out|Connection is closed|Stream isn't writeable|max retries per request/i.test(message) ||
    /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE)$/.test((err as { code?: string } | null)?.code ?? '')
  );
}

/**
 * The process's shared Redis client (cache, rate limits, lockout counters), or null when REDIS_URL
 * is unset. Token revocations are not here: they live in PostgreSQL (AccessTokenBlacklist).
 *
 * Fail fast while Redis is away, so every caller applies its fallback (memory counters, PostgreSQL
 * lockout, cache miss) at once instead of after a timeout:
 * - no offline queue (after the first connection attempt) and no retry of a command: while the
 *   connection is down (the server stopped, the connection refused or being re-established) a
 *   command is rejected at once by ioredis;
 * - a circuit breaker for a server that holds the connection but does not answer (hung, partitioned):
 *   a command timing out opens it; while open every command is rejected at once
 *   (RedisUnavailableError) and a PING every REDIS_PROBE_INTERVAL_MS closes it when it answers.
 * `available` says whether Redis is usable right now (readiness answers from it without waiting).
 *
 * At start the connection is opened and the server's settings checked (CONFIG GET): production refuses
 * a maxmemory-policy other than noeviction (BullMQ's requirement: an evicted job key is a lost job or a
 * broken queue) and warns loudly without appendonly (a restart loses queued jobs and counters). A
 * provider that disables CONFIG gets a warning (the settings cannot be verified) and the start goes on.
 */
@Injectable()
export class RedisService implements OnModuleInit, OnApplicationShutdown {
  readonly client: Redis | null;
  private readonly logger = new Logger('Redis');
  private circuitOpen = false;
  private probe: NodeJS.Timeout | undefined;
  private bypass = false;
  private settingsChecked = false;
  /** onModuleInit has run: a later 'ready' (Redis was down at start) checks the settings then. */
  private started = false;
  private closing = false;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {
    this.client = config.REDIS_URL
      ? new Redis(config.REDIS_URL, {
          lazyConnect: true,
          maxRetriesPerRequest: 0,
          // Only for the first connection (commands sent before it is up wait for it); turned off
          // once that attempt ends, connected or not (instrument).
          enableOfflineQueue: true,
          connectTimeout: REDIS_COMMAND_TIMEOUT_MS,
          commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
        })
      : null;
    if (this.client) this.instrument(this.client);
  }

  /** Redis is configured, connected and answering (as far as this process knows). */
  get available(): boolean {
    return this.client !== null && this.client.status === 'ready' && !this.circuitOpen;
  }

  /**
   * Resolves when Redis answers a PING within timeoutMs; rejects at once while it is known down. A
   * PING that times out opens the circuit (readiness uses this to notice a hung server).
   */
  async ping(timeoutMs: number): Promise<void> {
    const client = this.client;
    if (!client) throw new Error('Redis is not configured');
    if (!this.available) throw new RedisUnavailableError();
    let timer: NodeJS.Timeout | undefined;
    const ping = client.ping();
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Redis PING got no answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      await Promise.race([ping, timeout]);
    } catch (err) {
      this.openCircuit(err);
      throw err;
    } finally {
      clearTimeout(timer);
      ping.catch(() => undefined);
    }
  }

  async onModuleInit(): Promise<void> {
    const client = this.client;
    if (!client) return;
    try {
      await client.connect();
    } catch (err) {
      this.started = true;
      // ioredis keeps reconnecting; the settings are checked once it is ready.
      this.logger.warn(`Redis unreachable at start (${message(err)}): continuing, callers fall back meanwhile`);
      return;
    }
    this.started = true;
    await this.checkSettings(true);
  }

  async onApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.stopProbe();
    const client = this.client;
    if (!client || client.status === 'end') return;
    if (client.status === 'ready') await client.quit().catch(() => client.disconnect());
    else client.disconnect();
  }

  /**
   * Reads maxmemory-policy and appendonly and judges them (see the class comment). `atStart`: a wrong
   * policy in production throws (the process refuses to start); later (Redis came up after the start)
   * it is logged as an error.
   */
  async checkSettings(atStart: boolean): Promise<RedisServerSettings | null> {
    const client = this.client;
    if (!client || this.settingsChecked) return null;
    this.settingsChecked = true;
    let settings: RedisServerSettings;
    try {
      const policy = (await client.config('GET', 'maxmemory-policy')) as string[];
      const aof = (await client.config('GET', 'appendonly')) as string[];
      settings = { maxmemoryPolicy: policy[1] ?? 'unknown', appendonly: aof[1] ?? 'unknown' };
    } catch (err) {
      this.logger.warn(
        `Redis CONFIG GET is not available (${message(err)}; disabled by the provider?): cannot verify ` +
          'maxmemory-policy noeviction and appendonly yes, make sure the server has them',
      );
      return null;
    }
    const production = this.config.isProduction;
    if (settings.maxmemoryPolicy !== 'noeviction') {
      const text =
        `Redis maxmemory-policy is "${settings.maxmemoryPolicy}"; noeviction is required ` +
        '(BullMQ: an evicted key is a lost or corrupted job)';
      if (production && atStart) throw new Error(`${text}. Set maxmemory-policy noeviction on the Redis server.`);
      if (production) this.logger.error(text);
      else this.logger.warn(`${text} (refused in production)`);
    }
    if (settings.appendonly !== 'yes') {
      const text =
        'Redis runs without AOF persistence (appendonly no): a restart loses queued jobs, ' +
        'rate-limit and lockout counters; set appendonly yes';
      if (production) this.logger.error(`WARNING: ${text}`);
      else this.logger.warn(text);
    }
    return settings;
  }

  private instrument(client: Redis): void {
    client.on('error', () => undefined); // reported through failed commands
    const failFast = (): void => {
      client.options.enableOfflineQueue = false;
    };
    client.once('ready', failFast);
    client.once('close', failFast);
    client.on('ready', () => {
      this.closeCircuit();
      if (this.started && !this.settingsChecked) void this.checkSettings(false).catch(() => undefined);
    });
    // Reads ioredis's own status: commands are refused at once while not 'ready' (no offline queue).
    client.on('close', () => this.stopProbe());
    const send = client.sendCommand.bind(client);
    client.sendCommand = ((command, stream) => {
      if (this.circuitOpen && !this.bypass && client.status === 'ready') {
        command.reject(new RedisUnavailableError());
        return command.promise;
      }
      const result = send(command, stream) as Promise<unknown>;
      result.catch((err: unknown) => {
        if (isConnectionFailure(err)) this.openCircuit(err);
      });
      return result;
    }) as Redis['sendCommand'];
  }

  private openCircuit(err: unknown): void {
    const client = this.client;
    if (this.circuitOpen || this.closing || !client || client.status !== 'ready') return;
    this.circuitOpen = true;
    this.logger.warn(`Redis not answering (${message(err)}): failing fast until a PING answers`);
    this.probe = setInterval(() => void this.tryProbe(), REDIS_PROBE_INTERVAL_MS);
    this.probe.unref();
  }

  private async tryProbe(): Promise<void> {
    const client = this.client;
    if (!client || client.status !== 'ready') return;
    this.bypass = true;
    let ping: Promise<string>;
    try {
      ping = client.ping();
    } finally {
      this.bypass = false;
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('probe timed out')), REDIS_PROBE_INTERVAL_MS);
    });
    try {
      await Promise.race([ping, timeout]);
      this.closeCircuit();
    } catch {
      // still down
    } finally {
      clearTimeout(timer);
      ping.catch(() => undefined);
    }
  }

  private closeCircuit(): void {
    this.stopProbe();
    if (!this.circuitOpen) return;
    this.circuitOpen = false;
    this.logger.log('Redis answers again');
  }

  private stopProbe(): void {
    if (this.probe) clearInterval(this.probe);
    this.probe = undefined;
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

@Global()
@Module({ providers: [RedisService], exports: [RedisService] })
export class RedisModule {}
