import pino from 'pino';
import { captureLogLines } from '#testing';
import { NestPinoLogger } from './nest-logger.js';

function capture(): { logger: NestPinoLogger; lines: () => Array<Record<string, unknown>> } {
  const { stream, lines } = captureLogLines();
  return { logger: new NestPinoLogger(pino({ level: 'debug' }, stream)), lines };
}

describe('NestPinoLogger', () => {
  it("logs Nest's per-module and per-route bootstrap lines at debug level, other lines at info", () => {
    const { logger, lines } = capture();
    logger.log('ApiModule dependencies initialized', 'InstanceLoader');
    logger.log('CoursesController {/api/v1/courses}:', 'RoutesResolver');
    logger.log('Mapped {/api/v1/courses, GET} route', 'RouterExplorer');
    logger.log('Nest application successfully started', 'NestApplication');
    logger.log('no context');
    expect(lines().map((l) => [l.level, l.context, l.msg])).toEqual([
      [20, 'InstanceLoader', 'ApiModule dependencies initialized'],
      [20, 'RoutesResolver', 'CoursesController {/api/v1/courses}:'],
      [20, 'RouterExplorer', 'Mapped {/api/v1/courses, GET} route'],
      [30, 'NestApplication', 'Nest application successfully started'],
      [30, undefined, 'no context'],
    ]);
  });

  it('keeps warnings and errors of those contexts at their level', () => {
    const { logger, lines } = capture();
    logger.warn('something odd', 'RouterExplorer');
    logger.error('failed', 'stack trace', 'InstanceLoader');
    expect(lines().map((l) => [l.level, l.context, l.msg, l.stack])).toEqual([
      [40, 'RouterExplorer', 'something odd', undefined],
      [50, 'InstanceLoader', 'failed', 'stack trace'],
    ]);
  });
});
