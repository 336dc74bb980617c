/**
 * Every statement the analytics routes run (exported for the EXPLAIN tests). Each reads either one
 * viewer's own rows through an index (student_id / enrollment_id), or the rollup tables kept by the
 * AnalyticsRollups migration's triggers; none scans a source table.
 */

/** my-progress, enrollments part. $1 student. idx_enrollments_student_enrolled. */
export const MY_ENROLLMENT_SUMMARY_SQL = `
  SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'active')::int AS active,
    count(*) FILTER (WHERE status = 'completed')::int AS completed,
    round(coalesce(avg(progress_percentage), 0), 2)::text AS average_progress,
    round(coalesce(sum(total_time_spent_seconds), 0)::numeric / 3600, 2)::text AS total_time_hours,
    coalesce(sum(completed_lessons_count), 0)::int AS lessons_completed
  FROM enrollments WHERE student_id = $1`;

/** my-progress, quiz part: the student's graded attempts. $1 student. Enrollments by student, attempts by enrollment. */
export const MY_QUIZ_SUMMARY_SQL = `
  SELECT count(*)::int AS taken, count(*) FILTER (WHERE a.is_passed)::int AS passed,
    round(coalesce(avg(a.score), 0), 2)::text AS average_score
  FROM enrollments e JOIN quiz_attempts a ON a.enrollment_id = e.id
  WHERE e.student_id = $1 AND a.status = 'graded'`;

/** my-dashboard courses, newest enrollment first. $1 student. */
export const MY_COURSES_SQL = `
  SELECT e.course_id, c.title AS course_title, e.progress_percentage::text AS progress_percentage,
    e.completed_lessons_count AS completed_lessons, e.total_lessons_count AS total_lessons,
    round(e.total_time_spent_seconds::numeric / 3600, 2)::text AS time_spent_hours,
    q.n AS quizzes_completed, q.average_score
  FROM enrollments e JOIN courses c ON c.id = e.course_id
  CROSS JOIN LATERAL (
    SELECT count(*)::int AS n, round(coalesce(avg(a.score), 0), 2)::text AS average_score
    FROM quiz_attempts a WHERE a.enrollment_id = e.id AND a.status = 'graded') q
  WHERE e.student_id = $1
  ORDER BY e.enrolled_at DESC, e.id DESC`;

/** my-dashboard recent_activity: days with activity in [$2, $3], newest first. $1 student. */
export const MY_ACTIVITY_SQL = `
  WITH e AS (SELECT id FROM enrollments WHERE student_id = $1),
  lc AS (
    SELECT (p.completed_at AT TIME ZONE 'UTC')::date AS d, count(*)::int AS n
    FROM e JOIN lesson_progress p ON p.enrollment_id = e.id
    WHERE p.status = 'completed' AND p.completed_at BETWEEN $2 AND $3 GROUP BY 1),
  ts AS (
    SELECT (p.updated_at AT TIME ZONE 'UTC')::date AS d, sum(p.time_spent_seconds) AS s
    FROM e JOIN lesson_progress p ON p.enrollment_id = e.id
    WHERE p.updated_at BETWEEN $2 AND $3 GROUP BY 1),
  qa AS (
    SELECT (a.submitted_at AT TIME ZONE 'UTC')::date AS d, count(*)::int AS n
    FROM e JOIN quiz_attempts a ON a.enrollment_id = e.id
    WHERE a.submitted_at BETWEEN $2 AND $3 AND a.status IN ('submitted', 'graded') GROUP BY 1),
  days AS (SELECT d FROM lc UNION SELECT d FROM ts UNION SELECT d FROM qa)
  SELECT to_char(days.d, 'YYYY-MM-DD') AS date, coalesce(lc.n, 0) AS lessons_completed,
    round(coalesce(ts.s, 0)::numeric / 60, 2)::text AS time_spent_minutes, coalesce(qa.n, 0) AS quizzes_taken
  FROM days LEFT JOIN lc ON lc.d = days.d LEFT JOIN ts ON ts.d = days.d LEFT JOIN qa ON qa.d = days.d
  ORDER BY days.d DESC`;

/** The course an analytics route is about. $1 course. */
export const COURSE_SQL = 'SELECT id, title, instructor_id FROM courses WHERE id = $1';

/** Course analytics from analytics_course_stats (its primary key) and the course row. $1 course. */
export const COURSE_ANALYTICS_SQL = `
  WITH s AS (
    SELECT coalesce(sum(enrollments), 0)::int AS n, coalesce(sum(active), 0)::int AS active,
      coalesce(sum(completed), 0)::int AS completed, coalesce(sum(progress_sum), 0) AS progress_sum,
      coalesce(sum(time_seconds), 0) AS time_seconds
    FROM analytics_course_stats WHERE course_id = $1)
  SELECT c.id AS course_id, c.title AS course_title, s.n AS total_enrollments, s.active AS active_students,
    s.completed AS completed_students,
    round(coalesce(100.0 * s.completed / nullif(s.n, 0), 0), 2)::text AS completion_rate,
    round(coalesce(s.progress_sum / nullif(s.n, 0), 0), 2)::text AS average_progress,
    round(coalesce(s.time_seconds::numeric / nullif(s.n, 0), 0) / 3600, 2)::text AS average_time_hours,
    round(c.average_rating, 2)::text AS average_rating, c.total_reviews
  FROM courses c CROSS JOIN s WHERE c.id = $1`;

/** Instructor overview. $1 instructor. idx_courses_instructor_created, the rollups' primary keys. */
export const INSTRUCTOR_OVERVIEW_SQL = `
  SELECT
    (SELECT count(*)::int FROM courses WHERE instructor_id = $1) AS total_courses,
    (SELECT count(*)::int FROM courses WHERE instructor_id = $1 AND is_published) AS published_courses,
    (SELECT count(*)::int FROM analytics_instructor_students WHERE instructor_id = $1) AS total_students,
    (SELECT coalesce(sum(s.enrollments), 0)::int FROM courses c JOIN analytics_course_stats s ON s.course_id = c.id
      WHERE c.instructor_id = $1) AS total_enrollments,
    (SELECT round(coalesce(avg(average_rating) FILTER (WHERE total_reviews > 0), 0), 2)::text
      FROM courses WHERE instructor_id = $1) AS average_course_rating`;

/** System overview: the sharded global counters (a few dozen rows). */
export const SYSTEM_OVERVIEW_SQL = 'SELECT metric, sum(value)::bigint AS value FROM analytics_counters GROUP BY metric';

/**
 * The lesson funnel of a course, in lesson order. $1 course. The median comes from the time
 * histogram: the mean of the values at positions ⌈n/2⌉ and ⌊n/2⌋+1 (the same value when n is odd).
 */
export const LESSON_FUNNEL_SQL = `
  WITH l AS (SELECT id, title, order_index FROM lessons WHERE course_id = $1),
  st AS (
    SELECT s.lesson_id, sum(s.started)::int AS started, sum(s.completed)::int AS completed
    FROM l JOIN analytics_lesson_stats s ON s.lesson_id = l.id GROUP BY 1),
  h AS (
    SELECT t.lesson_id, t.seconds,
      sum(t.students) OVER (PARTITION BY t.lesson_id ORDER BY t.seconds) AS cum,
      sum(t.students) OVER (PARTITION BY t.lesson_id) AS total
    FROM l JOIN analytics_lesson_time t ON t.lesson_id = l.id WHERE t.students > 0),
  med AS (
    SELECT lesson_id,
      (min(seconds) FILTER (WHERE cum >= (total + 1) / 2) + min(seconds) FILTER (WHERE cum >= total / 2 + 1)) / 2.0 AS m
    FROM h GROUP BY 1),
  enr AS (SELECT coalesce(sum(enrollments), 0)::int AS n FROM analytics_course_stats WHERE course_id = $1)
  SELECT l.id AS lesson_id, l.title AS lesson_title, l.order_index, enr.n AS total_enrollments,
    coalesce(st.started, 0) AS students_started, coalesce(st.completed, 0) AS students_completed,
    round(coalesce(100.0 * st.completed / nullif(enr.n, 0), 0), 2)::text AS completion_rate,
    round(med.m, 2)::text AS median_time_spent_seconds
  FROM l CROSS JOIN enr LEFT JOIN st ON st.lesson_id = l.id LEFT JOIN med ON med.lesson_id = l.id
  ORDER BY l.order_index, l.id`;

/** The course's enrollments (the funnel's top) when it has no lessons. $1 course. */
export const COURSE_ENROLLMENTS_SQL =
  'SELECT coalesce(sum(enrollments), 0)::int AS n FROM analytics_course_stats WHERE course_id = $1';

/** Daily activity from analytics_course_daily, one row per day of [$2, $3] (dates), zeros filled. $1 course. */
export const COURSE_ACTIVITY_SQL = `
  SELECT to_char(g.d, 'YYYY-MM-DD') AS date, coalesce(a.enrollments, 0) AS new_enrollments,
    coalesce(a.completions, 0) AS completions, coalesce(a.quiz_submissions, 0) AS quiz_submissions
  FROM generate_series($2::date, $3::date, interval '1 day') AS g(d)
  LEFT JOIN analytics_course_daily a ON a.course_id = $1 AND a.day = g.d::date
  ORDER BY g.d`;

/** The quiz an item analysis is about, with its course's owner. $1 quiz. */
export const QUIZ_SQL = `
  SELECT q.id, q.title, c.instructor_id FROM quizzes q JOIN courses c ON c.id = q.course_id WHERE q.id = $1`;

/**
 * Graded attempts of the quiz, ranked by total score (ties by id), grouped upper (1) / lower (-1) 27 %.
 * $1 quiz. idx_quiz_attempts_quiz_status_started (quiz_id, status, ...).
 */
const GRADED_ANSWERS = `
  WITH a AS (
    SELECT id, answers, row_number() OVER (ORDER BY score DESC, id) AS rn, count(*) OVER () AS n
    FROM quiz_attempts WHERE quiz_id = $1 AND status = 'graded'),
  g AS (
    SELECT answers, round(n * 0.27)::int AS k,
      CASE WHEN rn <= round(n * 0.27) THEN 1 WHEN rn > n - round(n * 0.27) THEN -1 ELSE 0 END AS grp
    FROM a),
  x AS (
    SELECT g.k, g.grp, r.question_id, r.points_earned, r.selected_option_id, r.selected_option_ids, r.answer_text
    FROM g CROSS JOIN LATERAL jsonb_to_recordset(g.answers) AS r(question_id uuid, points_earned numeric,
      selected_option_id text, selected_option_ids jsonb, answer_text text))`;

/** Per question: attempts, mean points, full marks overall and in the upper and lower groups. $1 quiz. */
export const QUIZ_ITEM_STATS_SQL = `${GRADED_ANSWERS},
  s AS (
    SELECT x.question_id, count(*)::int AS attempts, avg(x.points_earned) AS mean_points,
      count(*) FILTER (WHERE x.points_earned >= qq.points)::int AS full_marks,
      count(*) FILTER (WHERE x.points_earned >= qq.points AND x.grp = 1)::int AS full_upper,
      count(*) FILTER (WHERE x.points_earned >= qq.points AND x.grp = -1)::int AS full_lower,
      max(x.k) AS k
    FROM x JOIN quiz_questions qq ON qq.id = x.question_id GROUP BY 1)
  SELECT qq.id AS question_id, qq.question_text, qq.question_type, qq.points::text AS points, qq.order_index,
    qq.options, coalesce(s.attempts, 0) AS attempts, round(s.mean_points, 2)::text AS mean_points,
    round(s.full_marks::numeric / nullif(s.attempts, 0), 2)::text AS facility_index,
    round((s.full_upper - s.full_lower)::numeric / nullif(s.k, 0), 2)::text AS discrimination_index
  FROM quiz_questions qq LEFT JOIN s ON s.question_id = qq.id
  WHERE qq.quiz_id = $1 ORDER BY qq.order_index, qq.id`;

/** The graded attempts and group size of a quiz. $1 quiz. */
export const QUIZ_ATTEMPT_COUNT_SQL = `
  SELECT count(*)::int AS n FROM quiz_attempts WHERE quiz_id = $1 AND status = 'graded'`;

/** How often each option (or true/false answer) was picked, per question. $1 quiz. */
export const QUIZ_OPTION_PICKS_SQL = `${GRADED_ANSWERS}
  SELECT x.question_id, o.pick, count(*)::int AS n
  FROM x CROSS JOIN LATERAL (
    SELECT x.selected_option_id WHERE x.selected_option_id IS NOT NULL
    UNION ALL SELECT jsonb_array_elements_text(coalesce(x.selected_option_ids, '[]'::jsonb))
    UNION ALL SELECT lower(btrim(x.answer_text))
      WHERE x.selected_option_id IS NULL AND x.selected_option_ids IS NULL AND x.answer_text IS NOT NULL) AS o(pick)
  GROUP BY 1, 2`;

/** The gradebook's quiz columns, in creation order. $1 course. */
export const GRADEBOOK_QUIZZES_SQL = `
  SELECT id, title FROM quizzes WHERE course_id = $1 ORDER BY created_at, id`;

/**
 * One page of the gradebook, keyset-paginated on idx_enrollments_course_enrolled (course_id, enrolled_at)
 * after ($2 enrolled_at as text, $3 id); $4 page size. Certificate: the enrollment's, unless revoked.
 */
export const GRADEBOOK_PAGE_SQL = `
  SELECT e.id, e.enrolled_at::text AS cursor, u.full_name, u.email, e.progress_percentage::text AS progress,
    e.completed_lessons_count AS completed_lessons, e.completed_at,
    (SELECT ce.certificate_number FROM certificates ce WHERE ce.enrollment_id = e.id AND NOT ce.is_revoked)
      AS certificate_number
  FROM enrollments e JOIN users u ON u.id = e.student_id
  WHERE e.course_id = $1 AND (e.enrolled_at, e.id) > ($2::timestamptz, $3::uuid)
  ORDER BY e.enrolled_at, e.id LIMIT $4`;

/** Best graded score per (enrollment, quiz) of one gradebook page. $1 enrollment ids. idx_quiz_attempts_enrollment. */
export const GRADEBOOK_SCORES_SQL = `
  SELECT enrollment_id, quiz_id, max(score)::text AS best
  FROM quiz_attempts WHERE enrollment_id = ANY($1::uuid[]) AND status = 'graded' GROUP BY 1, 2`;
