import { applyDecorators, type Type as ClassType } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, ApiPropertyOptional, getSchemaPath } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, Max, Min } from 'class-validator';

export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/**
 * Highest page number: the row offset, (page - 1) × page_size, then stays far inside PostgreSQL's
 * bigint and JavaScript's exact integers (page=1e300 would otherwise reach the database). Larger → 422.
 */
export const MAX_PAGE = 1_000_000_000;

/** `?page=&page_size=` (query strings become numbers; out of range or non-integers → 422). Extend it for list filters. */
export class PaginationQueryDto {
  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_PAGE, default: 1 })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE)
  page: number = 1;

  @ApiPropertyOptional({ type: Number, minimum: 1, maximum: MAX_PAGE_SIZE, default: DEFAULT_PAGE_SIZE })
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_SIZE)
  page_size: number = DEFAULT_PAGE_SIZE;
}

export interface PageQuery {
  page: number;
  page_size: number;
}

export interface Page<T> {
  items: T[];
  total: number;
  page: number;
  page_size: number;
  total_pages: number;
}

/** Rows to skip for a page (TypeORM `skip`, SQL OFFSET). */
export function offset(query: PageQuery): number {
  return (query.page - 1) * query.page_size;
}

export function totalPages(total: number, pageSize: number): number {
  return total <= 0 ? 0 : Math.ceil(total / pageSize);
}

export function paginate<T>(items: T[], total: number, query: PageQuery): Page<T> {
  return {
    items,
    total,
    page: query.page,
    page_size: query.page_size,
    total_pages: totalPages(total, query.page_size),
  };
}

/** Documents a 200 response `{items: ItemDto[], total, page, page_size, total_pages}`. */
export function ApiPaginatedResponse(item: ClassType<unknown>, description?: string): MethodDecorator & ClassDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description,
      schema: {
        type: 'object',
        required: ['items', 'total', 'page', 'page_size', 'total_pages'],
        properties: {
          items: { type: 'array', maxItems: MAX_PAGE_SIZE, items: { $ref: getSchemaPath(item) } },
          total: { type: 'integer', minimum: 0 },
          page: { type: 'integer', minimum: 1, maximum: MAX_PAGE },
          page_size: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
          total_pages: { type: 'integer', minimum: 0 },
        },
      },
    }),
  );
}
