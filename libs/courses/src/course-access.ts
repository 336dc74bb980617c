import type { AuthUser } from '#core';
import type { Course } from './course.entity.js';

/** A course's manager: an admin, or the instructor who owns it. */
export function canManageCourse(user: AuthUser | undefined, course: Pick<Course, 'instructorId'>): boolean {
  return !!user && (user.role === 'admin' || (user.role === 'instructor' && user.id === course.instructorId));
}

/** Published courses are visible to everyone (anonymous included); unpublished ones to their managers only. */
export function canViewCourse(
  user: AuthUser | undefined,
  course: Pick<Course, 'instructorId' | 'isPublished'>,
): boolean {
  return course.isPublished || canManageCourse(user, course);
}

/**
 * The cache key part that identifies what a viewer may see: published-only viewers share one
 * entry; managers (who may see unpublished content) get their own.
 */
export function viewerKey(user: AuthUser | undefined): string {
  if (!user) return 'anon';
  return user.role === 'student' ? 'public' : `${user.role}:${user.id}`;
}

/** Cache namespaces (invalidated on every write that affects them). */
export const CACHE_NS = {
  courses: 'courses',
  lessons: 'lessons',
  categories: 'categories',
  /** Quiz and question reads (#quizzes); listed here so course and lesson deletes, which cascade to quizzes, clear it. */
  quizzes: 'quizzes',
} as const;
