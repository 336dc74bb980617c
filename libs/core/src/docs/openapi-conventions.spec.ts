import { describe, expect, it } from '@jest/globals';
import type { OpenAPIObject } from '@nestjs/swagger';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsBoolean, IsIn, IsInt, IsOptional, IsString, IsUUID, Max, Min } from 'class-validator';
import { MaxCodePoints } from '../http/validation-decorators.js';
import { Endpoint, ERROR_DESCRIPTIONS, PUBLIC_EXTENSION } from './endpoint.decorator.js';
import { applyOpenApiConventions } from './openapi-conventions.js';
import { applyValidationToApiProperties } from './validation-schema.js';

const API_MODEL_PROPERTIES = 'swagger/apiModelProperties';
const meta = (target: object, key: string): Record<string, unknown> =>
  Reflect.getMetadata(API_MODEL_PROPERTIES, target, key) as Record<string, unknown>;

class SampleDto {
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsString()
  @MaxCodePoints(40)
  note?: string | null;

  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @IsBoolean()
  flag?: boolean | null;

  @ApiProperty({ type: Number })
  @IsInt()
  @Min(1)
  @Max(50)
  count!: number;

  @ApiProperty({ type: [String] })
  @IsArray()
  @ArrayMaxSize(5)
  @IsUUID('4', { each: true })
  ids!: string[];

  @ApiProperty({ maxLength: 3 })
  @IsString()
  @MaxCodePoints(99)
  explicit!: string;

  @ApiPropertyOptional()
  @IsOptional()
  @IsIn(['a', 'b'])
  choice?: 'a' | 'b';
}

describe('applyValidationToApiProperties', () => {
  it('documents what the validators enforce: real types of T | null, limits, formats, enums', () => {
    applyValidationToApiProperties();
    const proto = SampleDto.prototype;
    expect(meta(proto, 'note')).toMatchObject({ type: 'string', nullable: true, maxLength: 40 });
    expect(meta(proto, 'flag')).toMatchObject({ type: 'boolean', nullable: true });
    expect(meta(proto, 'count')).toMatchObject({ type: 'integer', minimum: 1, maximum: 50 });
    expect(meta(proto, 'ids')).toMatchObject({ maxItems: 5, format: 'uuid', maxLength: 36 });
    // An explicit @ApiProperty value wins.
    expect(meta(proto, 'explicit')).toMatchObject({ maxLength: 3 });
    expect(meta(proto, 'choice')).toMatchObject({ type: String, enum: ['a', 'b'] });
    // Idempotent.
    applyValidationToApiProperties();
    expect(meta(proto, 'note')).toMatchObject({ type: 'string', maxLength: 40 });
  });
});

class SampleController {
  @Endpoint({ summary: 'Get one', operationId: 'getOne', errors: { 404: 'Thing not found' } })
  one(): void {}

  @Endpoint({ summary: 'List', operationId: 'listThings', errors: [409], optionalAuth: true })
  list(): void {}
}

describe('Endpoint', () => {
  it('declares the summary, the operationId and each error as a problem+json response', () => {
    const operation = Reflect.getMetadata('swagger/apiOperation', SampleController.prototype.one) as Record<
      string,
      unknown
    >;
    expect(operation).toMatchObject({ summary: 'Get one', operationId: 'getOne' });
    const responses = Reflect.getMetadata('swagger/apiResponse', SampleController.prototype.one) as Record<
      string,
      { description: string; content: Record<string, unknown> }
    >;
    expect(responses['404']?.description).toBe('Thing not found');
    expect(Object.keys(responses['404']?.content ?? {})).toEqual(['application/problem+json']);
    const listResponses = Reflect.getMetadata('swagger/apiResponse', SampleController.prototype.list) as Record<
      string,
      { description: string }
    >;
    expect(listResponses['409']?.description).toBe(ERROR_DESCRIPTIONS[409]);
  });
});

describe('applyOpenApiConventions', () => {
  const build = (): OpenAPIObject =>
    ({
      openapi: '3.0.0',
      info: { title: 't', version: '1' },
      paths: {
        '/api/v1/things/{id}': {
          get: {
            [PUBLIC_EXTENSION]: true,
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            responses: { '200': { description: 'ok' } },
          },
          patch: {
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
            responses: {
              '200': { description: 'ok', content: { 'application/json': { schema: { type: 'integer' } } } },
              '409': {
                description: 'conflict',
                content: { 'application/json': { schema: { $ref: '#/components/schemas/ProblemDetails' } } },
              },
            },
          },
        },
        '/api/v1/health': { get: { [PUBLIC_EXTENSION]: true, responses: { '200': { description: 'ok' } } } },
      },
    }) as unknown as OpenAPIObject;

  it('adds security, the default errors as problems, rate-limit headers, UUID ids and integer formats', () => {
    const doc = build();
    applyOpenApiConventions(doc, { isRateLimited: (p) => p !== '/api/v1/health', maxUploadBytes: 10 });
    const item = doc.paths['/api/v1/things/{id}']!;
    expect(item.get!.security).toEqual([]);
    expect(item.get).not.toHaveProperty(PUBLIC_EXTENSION);
    expect(Object.keys(item.get!.responses).sort()).toEqual([
      '200',
      '400',
      '404',
      '414',
      '422',
      '429',
      '431',
      '500',
      '503',
    ]);
    expect(item.patch!.security).toEqual([{ bearer: [] }, { cookie: [] }, { oauth2: [] }]);
    expect(Object.keys(item.patch!.responses)).toEqual(
      expect.arrayContaining(['401', '403', '409', '413', '415', '422', '429']),
    );
    const conflict = item.patch!.responses['409'] as { content: Record<string, unknown>; headers: object };
    expect(Object.keys(conflict.content)).toEqual(['application/problem+json']);
    expect(Object.keys(conflict.headers)).toEqual(expect.arrayContaining(['X-RateLimit-Limit', 'X-RateLimit-Reset']));
    const tooMany = item.patch!.responses['429'] as { headers: object };
    expect(Object.keys(tooMany.headers)).toContain('Retry-After');
    expect(item.get!.parameters![0]).toMatchObject({ schema: { type: 'string', format: 'uuid', maxLength: 36 } });
    const ok = item.patch!.responses['200'] as unknown as { content: { 'application/json': { schema: object } } };
    expect(ok.content['application/json'].schema).toEqual({ type: 'integer', format: 'int64' });
    // Probes are not rate limited: no 429, no rate-limit headers.
    const health = doc.paths['/api/v1/health']!.get!.responses;
    expect(Object.keys(health).sort()).toEqual(['200', '400', '431', '500', '503']);
    expect(health['200']).not.toHaveProperty('headers');
  });
});
