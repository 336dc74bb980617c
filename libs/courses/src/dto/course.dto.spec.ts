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

  it('ListCoursesQueryDto: mine accepts true/false/1/0 only', () => {
    expect(plainToInstance(ListCoursesQueryDto, { mine: 'true' }).mine).toBe(true);
    expect(plainToInstance(ListCoursesQueryDto, { mine: '0' }).mine).toBe(false);
    expect(fields(ListCoursesQueryDto, { mine: 'yes' })).toEqual(['mine']);
  });
});
