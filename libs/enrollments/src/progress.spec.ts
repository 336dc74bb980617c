import {
  computeLessonProgress,
  ProgressDowngradeError,
  summarizeEnrollment,
  toDecimal2,
  type StoredLessonProgress,
} from './progress.js';

const NOW = new Date('2030-01-02T03:04:05.000Z');
const EARLIER = new Date('2030-01-01T00:00:00.000Z');

function stored(over: Partial<StoredLessonProgress> = {}): StoredLessonProgress {
  return {
    status: 'in_progress',
    completionPercentage: 40,
    timeSpentSeconds: 100,
    lastPositionSeconds: 50,
    startedAt: EARLIER,
    completedAt: null,
    notes: 'old',
    ...over,
  };
}

describe('computeLessonProgress', () => {
  it('without a stored row starts from in_progress, 0%, 0 s, position 0', () => {
    expect(computeLessonProgress(null, {}, NOW)).toEqual({
      status: 'in_progress',
      completionPercentage: '0.00',
      timeSpentSeconds: 0,
      lastPositionSeconds: 0,
      startedAt: NOW,
      completedAt: null,
      notes: null,
    });
  });

  it('missing (or null) fields fall back to the stored values', () => {
    const r = computeLessonProgress(stored(), { status: null, notes: undefined }, NOW);
    expect(r).toMatchObject({
      status: 'in_progress',
      completionPercentage: '40.00',
      timeSpentSeconds: 100,
      lastPositionSeconds: 50,
      startedAt: EARLIER,
      notes: 'old',
    });
  });

  describe('rule 1: a completed lesson cannot be downgraded', () => {
    it.each(['in_progress', 'not_started'] as const)('completed → %s throws', (status) => {
      const done = stored({ status: 'completed', completionPercentage: 100, completedAt: EARLIER });
      expect(() => computeLessonProgress(done, { status }, NOW)).toThrow(ProgressDowngradeError);
    });

    it('completed stays completed when status is omitted, even with a lower percentage', () => {
      const done = stored({ status: 'completed', completionPercentage: 100, completedAt: EARLIER });
      const r = computeLessonProgress(done, { completion_percentage: 10, time_spent_seconds: 7 }, NOW);
      expect(r).toMatchObject({ status: 'completed', completionPercentage: '100.00', completedAt: EARLIER });
      expect(r.timeSpentSeconds).toBe(7);
    });
  });

  describe('rule 2: not_started with activity becomes in_progress', () => {
    it.each([{ completion_percentage: 5 }, { time_spent_seconds: 1 }, { last_position_seconds: 1 }])('%p', (extra) => {
      const r = computeLessonProgress(null, { status: 'not_started', ...extra }, NOW);
      expect(r.status).toBe('in_progress');
      expect(r.startedAt).toEqual(NOW);
    });

    it('falls back to stored activity too', () => {
      expect(computeLessonProgress(stored(), { status: 'not_started' }, NOW).status).toBe('in_progress');
    });
  });

  describe('rule 3: completed or ≥ 100% completes at 100', () => {
    it('status completed sets 100 and both timestamps when unset', () => {
      const r = computeLessonProgress(null, { status: 'completed', completion_percentage: 30 }, NOW);
      expect(r).toMatchObject({
        status: 'completed',
        completionPercentage: '100.00',
        startedAt: NOW,
        completedAt: NOW,
      });
    });

    it('100% completes even with status in_progress', () => {
      const r = computeLessonProgress(stored(), { status: 'in_progress', completion_percentage: 100 }, NOW);
      expect(r).toMatchObject({ status: 'completed', completionPercentage: '100.00', startedAt: EARLIER });
      expect(r.completedAt).toEqual(NOW);
    });

    it('keeps an existing completed_at', () => {
      const done = stored({ status: 'completed', completionPercentage: 100, completedAt: EARLIER });
      expect(computeLessonProgress(done, { status: 'completed' }, NOW).completedAt).toEqual(EARLIER);
    });
  });

  it('rule 4: not_started (no activity) resets percentage and timestamps', () => {
    const r = computeLessonProgress(
      stored({ completionPercentage: 0, timeSpentSeconds: 0, lastPositionSeconds: 0 }),
      { status: 'not_started' },
      NOW,
    );
    expect(r).toMatchObject({
      status: 'not_started',
      completionPercentage: '0.00',
      startedAt: null,
      completedAt: null,
    });
  });

  describe('rule 5: otherwise started_at kept or set, completed_at null', () => {
    it('keeps started_at', () => {
      const r = computeLessonProgress(stored(), { completion_percentage: 55.5 }, NOW);
      expect(r).toMatchObject({ status: 'in_progress', completionPercentage: '55.50', startedAt: EARLIER });
      expect(r.completedAt).toBeNull();
    });
    it('sets started_at when missing', () => {
      const r = computeLessonProgress(stored({ startedAt: null }), { status: 'in_progress' }, NOW);
      expect(r.startedAt).toEqual(NOW);
    });
  });

  it('rule 6: time_spent_seconds replaces (does not add)', () => {
    expect(
      computeLessonProgress(stored({ timeSpentSeconds: 100 }), { time_spent_seconds: 30 }, NOW).timeSpentSeconds,
    ).toBe(30);
  });

  it('rule 7: notes are stored (replaced when given)', () => {
    expect(computeLessonProgress(stored(), { notes: 'new' }, NOW).notes).toBe('new');
    expect(computeLessonProgress(stored(), {}, NOW).notes).toBe('old');
  });
});

describe('summarizeEnrollment', () => {
  const base = { status: 'active' as const, completedAt: null, totalTimeSpentSeconds: 0 };

  it('rounds the percentage to 2 dp; 0 with no lessons', () => {
    expect(summarizeEnrollment({ ...base, totalLessons: 3, completedLessons: 1 }, NOW).progressPercentage).toBe(
      '33.33',
    );
    expect(summarizeEnrollment({ ...base, totalLessons: 3, completedLessons: 2 }, NOW).progressPercentage).toBe(
      '66.67',
    );
    expect(summarizeEnrollment({ ...base, totalLessons: 7, completedLessons: 3 }, NOW).progressPercentage).toBe(
      '42.86',
    );
    const none = summarizeEnrollment({ ...base, totalLessons: 0, completedLessons: 0 }, NOW);
    expect(none).toMatchObject({ progressPercentage: '0.00', status: 'active', transition: null });
  });

  it('completes when every lesson is completed (transition once)', () => {
    const r = summarizeEnrollment({ ...base, totalLessons: 2, completedLessons: 2, totalTimeSpentSeconds: 9 }, NOW);
    expect(r).toMatchObject({
      status: 'completed',
      completedAt: NOW,
      progressPercentage: '100.00',
      transition: 'completed',
      totalTimeSpentSeconds: 9,
      lastAccessedAt: NOW,
    });
    const again = summarizeEnrollment(
      { ...base, status: 'completed', completedAt: EARLIER, totalLessons: 2, completedLessons: 2 },
      NOW,
    );
    expect(again).toMatchObject({ status: 'completed', completedAt: EARLIER, transition: null });
  });

  it('returns to active when it no longer qualifies', () => {
    const r = summarizeEnrollment(
      { ...base, status: 'completed', completedAt: EARLIER, totalLessons: 3, completedLessons: 2 },
      NOW,
    );
    expect(r).toMatchObject({
      status: 'active',
      completedAt: null,
      progressPercentage: '66.67',
      transition: 'reopened',
    });
  });

  it('caps the summed time at the integer column maximum', () => {
    const r = summarizeEnrollment({ ...base, totalLessons: 1, completedLessons: 0, totalTimeSpentSeconds: 3e9 }, NOW);
    expect(r.totalTimeSpentSeconds).toBe(2_147_483_647);
  });
});

describe('toDecimal2', () => {
  it.each([
    [0, '0.00'],
    [100, '100.00'],
    [12.345, '12.35'],
    [1.005, '1.01'],
  ])('%p → %p', (n, s) => expect(toDecimal2(n)).toBe(s));
});
