import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { MAX_PAGE, MAX_PAGE_SIZE, offset, paginate, PaginationQueryDto, totalPages } from './pagination.js';

function parse(query: Record<string, string>): { dto: PaginationQueryDto; failed: string[] } {
  const dto = plainToInstance(PaginationQueryDto, query);
  return { dto, failed: validateSync(dto).map((e) => e.property) };
}

describe('pagination', () => {
  it('computes total_pages (0 when empty) and offsets', () => {
    expect(totalPages(0, 20)).toBe(0);
    expect(totalPages(1, 20)).toBe(1);
    expect(totalPages(40, 20)).toBe(2);
    expect(totalPages(41, 20)).toBe(3);
    expect(offset({ page: 1, page_size: 20 })).toBe(0);
    expect(offset({ page: 3, page_size: 10 })).toBe(20);
    expect(paginate(['a'], 21, { page: 2, page_size: 20 })).toEqual({
      items: ['a'],
      total: 21,
      page: 2,
      page_size: 20,
      total_pages: 2,
    });
    expect(paginate([], 0, { page: 1, page_size: 20 }).total_pages).toBe(0);
  });

  it('defaults to page 1, page_size 20 and converts query strings', () => {
    expect(parse({})).toEqual({ dto: expect.objectContaining({ page: 1, page_size: 20 }), failed: [] });
    const { dto, failed } = parse({ page: '3', page_size: '100' });
    expect(failed).toEqual([]);
    expect(dto.page).toBe(3);
    expect(dto.page_size).toBe(100);
  });

  it('accepts the last page, whose offset stays an exact integer inside bigint', () => {
    expect(parse({ page: String(MAX_PAGE), page_size: String(MAX_PAGE_SIZE) }).failed).toEqual([]);
    const last = offset({ page: MAX_PAGE, page_size: MAX_PAGE_SIZE });
    expect(Number.isSafeInteger(last)).toBe(true);
    expect(BigInt(last) <= 2n ** 63n - 1n).toBe(true);
  });

  it.each([
    [{ page_size: '0' }, 'page_size'],
    [{ page_size: '101' }, 'page_size'],
    [{ page_size: '-1' }, 'page_size'],
    [{ page_size: 'abc' }, 'page_size'],
    [{ page: '0' }, 'page'],
    [{ page: 'abc' }, 'page'],
    [{ page: '1.5' }, 'page'],
    [{ page: '1000000000000000000' }, 'page'],
    [{ page: '1e300' }, 'page'],
    [{ page: String(MAX_PAGE + 1) }, 'page'],
  ])('rejects %p', (query, field) => {
    expect(parse(query).failed).toEqual([field]);
  });
});
