import { ProblemException } from '#core';
import type { Lesson } from './lesson.entity.js';
import { lessonSlug, normalizeVideoUrl, toLessonResponse } from './lessons.service.js';

function problemOf(fn: () => unknown): ProblemException {
  try {
    fn();
  } catch (err) {
    if (err instanceof ProblemException) return err;
    throw err;
  }
  throw new Error('expected a ProblemException');
}

describe('lessonSlug', () => {
  it('slugifies the title as the original API does', () => {
    expect(lessonSlug('  Hello, World -- Intro  ')).toBe('hello-world-intro');
    expect(lessonSlug('Ünïcode & Co.')).toBe('ncode-co');
  });
  it('falls back to "lesson" when nothing is left', () => {
    expect(lessonSlug('!!! ???')).toBe('lesson');
  });
});

describe('normalizeVideoUrl', () => {
  it('trims and maps blank to null', () => {
    expect(normalizeVideoUrl(undefined)).toBeNull();
    expect(normalizeVideoUrl(null)).toBeNull();
    expect(normalizeVideoUrl('   ')).toBeNull();
    expect(normalizeVideoUrl('  https://videos.example.com/a.mp4 ')).toBe('https://videos.example.com/a.mp4');
    expect(normalizeVideoUrl('HTTP://Example.com')).toBe('HTTP://Example.com');
  });
  it.each([
    'ftp://example.com/a.mp4',
    'example.com/a.mp4',
    'http://',
    'https:///path',
    'http:example.com',
    'javascript:alert(1)',
  ])('rejects %s with 422 invalid_video_url', (url) => {
    const problem = problemOf(() => normalizeVideoUrl(url));
    expect(problem.getStatus()).toBe(422);
    expect(problem.code).toBe('invalid_video_url');
    expect(problem.extra).toEqual({
      errors: [{ field: 'video_url', message: problem.detail, code: 'invalid_video_url' }],
    });
  });
});

describe('toLessonResponse', () => {
  it('maps every LessonResponse field and never metadata', () => {
    const at = new Date('2030-01-02T03:04:05.000Z');
    const lesson = {
      id: 'l1',
      courseId: 'c1',
      title: 'T',
      slug: 't',
      description: null,
      content: 'x',
      lessonType: 'video',
      orderIndex: 2,
      parentLessonId: null,
      durationMinutes: 5,
      videoUrl: 'https://v.example.com',
      isPreview: true,
      metadata: { secret: 1 },
      createdAt: at,
      updatedAt: at,
    } as Lesson;
    expect(toLessonResponse(lesson)).toEqual({
      id: 'l1',
      course_id: 'c1',
      title: 'T',
      slug: 't',
      description: null,
      content: 'x',
      lesson_type: 'video',
      order_index: 2,
      parent_lesson_id: null,
      duration_minutes: 5,
      video_url: 'https://v.example.com',
      is_preview: true,
      created_at: '2030-01-02T03:04:05.000Z',
      updated_at: '2030-01-02T03:04:05.000Z',
    });
  });
});
