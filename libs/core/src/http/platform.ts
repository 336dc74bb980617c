import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { Logger } from 'pino';
import type { AppConfig } from '../config/app-config.js';

// STUB: replaced by the HTTP platform work (problem+json, envelope, request ids, headers, CORS, hosts).
export function createFastifyAdapter(config: AppConfig, logger: Logger): FastifyAdapter {
  void logger;
  return new FastifyAdapter({ bodyLimit: config.BODY_LIMIT_BYTES });
}

export async function configureHttpPlatform(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.setGlobalPrefix(config.API_V1_PREFIX);
}
