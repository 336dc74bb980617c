import { plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import { CreateCourseDto, ListCoursesQueryDto, UpdateCourseDto } from './course.dto.js';

function fields<T extends object>(cls: new () => T, plain: Record<string, unknown>): string[] {
  const errors = validateSync(plainToInstance(cls, plain), { whitelist: true, forbidNonWhitelisted: true });
  return errors.map((e) => e.property).sort();
}

describe('course DTOs', () => {
  it('UpdateCourseDto: null clears nullable fields, is refused for required ones', () => {
    expect(fields(UpdateCourseDto, { description: null, category: null, thumbnail_url: null, status: null })).toEqual(
      [],
    );
    expect(fields(UpdateCourseDto, { title: null, price: null, requirements: null, metadata: null })).toEqual([
      'metadata',
      'price',
      'requirements',
      'title',
    ]);
    expect(fields(UpdateCourseDto, {})).toEqual([]);
    expect(fields(UpdateCourseDto, { is_published: true, slug: 'x-y-z' })).toEqual(['is_published', 'slug']);
  });

  it('CreateCourseDto: server-maintained fields are unknown', () => {
    expect(
      fields(CreateCourseDto, { title: 'Fine title', instructor_id: 'x', average_rating: 1, enrollment_count: 1 }),
    ).toEqual(['average_rating', 'enrollment_count', 'instructor_id']);
    expect(fields(CreateCourseDto, { title: 'Fine title', price: 1.234 })).toEqual(['price']);
    expect(fields(CreateCourseDto, { title: 'Fine title', metadata: { big: 'x'.repeat(20_000) } })).toEqual([
      'metadata',
    ]);
  });

  it("ListCoursesQueryDto: mine takes the original's boolean spellings in any case; blank filters are absent", () => {
    for (const mine of ['true', 'YES', 'On', '1', 't', 'y']) {
      expect(plainToInstance(ListCoursesQueryDto, { mine }).mine).toBe(true);
    }
    for (const mine of ['false', 'No', 'OFF', '0', 'f', 'n']) {
      expect(plainToInstance(ListCoursesQueryDto, { mine }).mine).toBe(false);
    }
    expect(fields(ListCoursesQueryDto, { mine: 'maybe' })).toEqual(['mine']);
    const blank = plainToInstance(ListCoursesQueryDto, { mine: '', category: '', difficulty_level: ' ', search: '' });
    expect([blank.mine, blank.category, blank.difficulty_level, blank.search]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(fields(ListCoursesQueryDto, { mine: '', category: '', difficulty_level: '', search: '' })).toEqual([]);
  });

  it('price: a number or a numeric string, same range and scale', () => {
    expect(plainToInstance(CreateCourseDto, { title: 'Fine title', price: '70.00' }).price).toBe(70);
    expect(fields(CreateCourseDto, { title: 'Fine title', price: '70.00' })).toEqual([]);
    for (const price of ['abc', '-1', '1.234', '100000000', '1e2']) {
      expect(fields(CreateCourseDto, { title: 'Fine title', price })).toEqual(['price']);
    }
  });
});
