import type { EntityManager } from 'typeorm';
import { ProblemException, runSql, type AuthUser } from '#core';
import { CACHE_NS, canManageCourse } from '#courses';

/** Cache namespace of quiz and question reads (every quiz or question write invalidates it). */
export const QUIZ_CACHE_NS = CACHE_NS.quizzes;

/** What deciding access to a quiz needs: its course's owner and both publish states. */
export interface QuizAccessRow {
  course_id: string;
  quiz_is_published: boolean;
  instructor_id: string;
  course_is_published: boolean;
}

export const quizNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Quiz not found');
export const quizNotInCourse = (): ProblemException =>
  new ProblemException(404, 'not_found', 'Quiz not found in this course');
export const courseNotFound = (): ProblemException => new ProblemException(404, 'not_found', 'Course not found');
export const cannotManageQuizzes = (): ProblemException =>
  new ProblemException(403, 'forbidden', 'Not authorized to manage quizzes for this course');
export const cannotAccessQuiz = (): ProblemException =>
  new ProblemException(403, 'forbidden', 'Not authorized to access this quiz');

/** An admin, or the instructor who owns the quiz's course. */
export function canManageQuiz(user: AuthUser | undefined, row: Pick<QuizAccessRow, 'instructor_id'>): boolean {
  return canManageCourse(user, { instructorId: row.instructor_id });
}

/**
 * Whether `user` may read the quiz (and its public questions): managers always; anyone else only
 * when both the quiz and its course are published. (The original API did not check the course:
 * a quirk we do not copy.)
 */
export function canViewQuiz(
  user: AuthUser | undefined,
  row: Pick<QuizAccessRow, 'instructor_id' | 'quiz_is_published' | 'course_is_published'>,
): boolean {
  return (row.quiz_is_published && row.course_is_published) || canManageQuiz(user, row);
}

/**
 * The quiz's access row (plus `extraColumns` of `quizzes q`), read from the database every time:
 * 404 "Quiz not found" when missing, "Quiz not found in this course" when it belongs to another
 * course. With `lock`, the quiz row is locked FOR UPDATE until the transaction ends: every question
 * write takes this lock first, so they run one at a time per quiz, and attempts (whose foreign key
 * takes a KEY SHARE lock on the quiz) cannot start while it is held.
 */
export async function loadQuizAccess<T extends object = object>(
  manager: EntityManager,
  courseId: string,
  quizId: string,
  opts: { lock?: boolean; extraColumns?: string } = {},
): Promise<QuizAccessRow & T> {
  const extra = opts.extraColumns ? `, ${opts.extraColumns}` : '';
  const [row] = (
    await runSql<QuizAccessRow & T>(
      manager,
      `SELECT q.course_id, q.is_published AS quiz_is_published, c.instructor_id, c.is_published AS course_is_published${extra}
         FROM quizzes q JOIN courses c ON c.id = q.course_id
        WHERE q.id = $1${opts.lock ? ' FOR UPDATE OF q' : ''}`,
      [quizId],
    )
  ).rows;
  if (!row) throw quizNotFound();
  if (row.course_id !== courseId) throw quizNotInCourse();
  return row;
}

/** loadQuizAccess, then 403 unless `user` may read the quiz. */
export async function loadViewableQuiz<T extends object = object>(
  manager: EntityManager,
  courseId: string,
  quizId: string,
  user: AuthUser | undefined,
  extraColumns?: string,
): Promise<QuizAccessRow & T> {
  const row = await loadQuizAccess<T>(manager, courseId, quizId, { extraColumns });
  if (!canViewQuiz(user, row)) throw cannotAccessQuiz();
  return row;
}

/** loadQuizAccess with the quiz row locked (inside a transaction), then 403 unless `user` manages the course. */
export async function lockManagedQuiz<T extends object = object>(
  manager: EntityManager,
  courseId: string,
  quizId: string,
  user: AuthUser,
  extraColumns?: string,
): Promise<QuizAccessRow & T> {
  const row = await loadQuizAccess<T>(manager, courseId, quizId, { lock: true, extraColumns });
  if (!canManageQuiz(user, row)) throw cannotManageQuizzes();
  return row;
}
