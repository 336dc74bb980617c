import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { AppConfig, runSql } from '#core';
import { envEndpointId } from './webhook-dispatcher.js';

/**
 * Keeps the env-configured targets (WEBHOOKS_ENABLED, WEBHOOK_TARGET_URLS) as endpoints of source
 * `env`: one row per URL (id derived from it), subscribed to every event, active while
 * WEBHOOKS_ENABLED; targets no longer configured are switched off (their delivery log stays).
 * Runs at every start of the API and the worker (idempotent upserts).
 */
@Injectable()
export class EnvEndpointsSync implements OnApplicationBootstrap {
  private readonly logger = new Logger(EnvEndpointsSync.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const urls = [...new Set(this.config.WEBHOOK_TARGET_URLS)];
    const ids = urls.map(envEndpointId);
    const active = this.config.WEBHOOKS_ENABLED;
    await this.dataSource.transaction(async (m) => {
      for (const [i, url] of urls.entries()) {
        await runSql(
          m,
          `INSERT INTO webhook_endpoints (id, source, url, description, events, is_active)
           VALUES ($1, 'env', $2, 'WEBHOOK_TARGET_URLS', '["*"]'::jsonb, $3)
           ON CONFLICT (id) DO UPDATE SET is_active = EXCLUDED.is_active, disabled_reason = NULL, disabled_at = NULL
           WHERE webhook_endpoints.is_active IS DISTINCT FROM EXCLUDED.is_active`,
          [ids[i], url, active],
        );
      }
      await runSql(
        m,
        `UPDATE webhook_endpoints SET is_active = false WHERE source = 'env' AND is_active AND NOT (id = ANY($1::uuid[]))`,
        [ids],
      );
    });
    if (active && urls.length > 0) this.logger.log(`webhooks: ${urls.length} env target(s) active`);
  }
}
