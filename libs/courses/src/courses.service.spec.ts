import { Course } from './course.entity.js';
import { toCourseResponse } from './courses.service.js';

describe('toCourseResponse', () => {
  it('maps to the wire shape: numbers for price and rating, no metadata, category slug', () => {
    const course = Object.assign(new Course(), {
      id: 'c1',
      title: 'T',
      slug: 't',
      description: null,
      longDescription: null,
      instructorId: 'u1',
      categoryId: 'cat1',
      difficultyLevel: 'beginner',
      isPublished: true,
      publishedAt: new Date('2026-01-02T03:04:05Z'),
      thumbnailUrl: null,
      estimatedDurationMinutes: 5,
      price: '70.00',
      currency: 'USD',
      isFree: false,
      previewVideoUrl: null,
      requirements: ['r'],
      learningObjectives: [],
      status: null,
      metadata: { secret: true },
      averageRating: '4.50',
      totalReviews: 2,
      enrollmentCount: 3,
      createdAt: new Date('2026-01-01T00:00:00Z'),
      updatedAt: new Date('2026-01-01T00:00:00Z'),
    });
    const dto = toCourseResponse(course, 'programming', ['p1']);
    expect(dto).toMatchObject({
      price: 70,
      average_rating: 4.5,
      category: 'programming',
      published_at: '2026-01-02T03:04:05.000Z',
      prerequisite_course_ids: ['p1'],
      instructor_name: null,
    });
    expect(dto).not.toHaveProperty('metadata');
  });
});
