import { Controller, Get, HttpStatus, Inject, Res } from '@nestjs/common';
import { ApiOkResponse, ApiProperty, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '../auth/auth.decorators.js';
import { Endpoint } from '../docs/endpoint.decorator.js';
import { ReadinessService, type ReadinessReport } from './readiness.service.js';

class HealthResponse {
  @ApiProperty({ enum: ['ok'], example: 'ok' }) status!: 'ok';
}

class ReadinessResponse {
  @ApiProperty({ enum: ['ok', 'degraded'], example: 'ok' }) status!: 'ok' | 'degraded';
  @ApiProperty({ enum: ['up', 'down'], example: 'up' }) database!: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down'], example: 'up' }) queue!: 'up' | 'down';
  @ApiProperty({ enum: ['up', 'down', 'not_configured'], example: 'not_configured' })
  redis!: 'up' | 'down' | 'not_configured';
}

/** Liveness and readiness probes (public). */
@ApiTags('health')
@Public()
@Controller()
export class HealthController {
  constructor(@Inject(ReadinessService) private readonly readiness: ReadinessService) {}

  @Get('health')
  @Endpoint({ summary: 'Liveness: the process serves HTTP (no dependency is checked)', operationId: 'getHealth' })
  @ApiOkResponse({ type: HealthResponse })
  health(): { status: 'ok' } {
    return { status: 'ok' };
  }

  @Get('ready')
  @Endpoint({ summary: 'Readiness: the database and the queue backend answer', operationId: 'getReadiness' })
  @ApiOkResponse({ type: ReadinessResponse, description: 'Every dependency is up' })
  @ApiServiceUnavailableResponse({ type: ReadinessResponse, description: 'A dependency is down (status "degraded")' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<ReadinessReport> {
    const report = await this.readiness.check();
    reply.status(report.status === 'ok' ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE);
    return report;
  }
}
