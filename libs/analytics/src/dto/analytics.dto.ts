import { ApiProperty } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, Max, Min } from 'class-validator';

const DEC = { type: String, example: '70.00', description: 'Decimal string, 2 decimals' } as const;
const dec = (description: string): { type: StringConstructor; example: string; description: string } => ({
  ...DEC,
  description: `${description} (decimal string, 2 decimals)`,
});
const int = (description: string): { type: 'integer'; description: string } => ({ type: 'integer', description });

export class MyProgressDto {
  @ApiProperty({ format: 'uuid' }) student_id!: string;
  @ApiProperty(int('All of the caller’s enrollments')) total_enrollments!: number;
  @ApiProperty(int('Enrollments with status active')) active_enrollments!: number;
  @ApiProperty(int('Enrollments with status completed')) completed_enrollments!: number;
  @ApiProperty(dec('Mean progress_percentage over the enrollments; 0.00 without any')) average_progress!: string;
  @ApiProperty(dec('Sum of the enrollments’ time spent, seconds / 3600')) total_time_hours!: string;
  @ApiProperty(int('Sum of the enrollments’ completed lessons')) total_lessons_completed!: number;
  @ApiProperty(int('Graded quiz attempts')) quizzes_taken!: number;
  @ApiProperty(int('Graded quiz attempts that passed')) quizzes_passed!: number;
  @ApiProperty(dec('Mean raw score in points (not a percentage) over graded attempts; 0.00 without any'))
  average_quiz_score!: string;
}

export class DashboardCourseDto {
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty() course_title!: string;
  @ApiProperty(dec('The enrollment’s progress')) progress_percentage!: string;
  @ApiProperty(int('Completed lessons')) completed_lessons!: number;
  @ApiProperty(int('Lessons of the course')) total_lessons!: number;
  @ApiProperty(dec('Time spent, seconds / 3600')) time_spent_hours!: string;
  @ApiProperty(int('Graded attempts in this course')) quizzes_completed!: number;
  @ApiProperty(dec('Mean raw score in points over those attempts')) average_quiz_score!: string;
}

export class ActivityDayDto {
  @ApiProperty({ type: String, format: 'date', example: '2026-11-30' }) date!: string;
  @ApiProperty(int('Lessons completed that day (completed_at)')) lessons_completed!: number;
  @ApiProperty(dec('Time spent (minutes) on the lessons last worked on that day (updated_at)'))
  time_spent_minutes!: string;
  @ApiProperty(int('Quiz attempts submitted that day (submitted_at)')) quizzes_taken!: number;
}

export class MyDashboardDto {
  @ApiProperty({ format: 'uuid' }) student_id!: string;
  @ApiProperty({ type: MyProgressDto }) summary!: MyProgressDto;
  @ApiProperty({ type: [DashboardCourseDto], description: 'Newest enrollment first' }) courses!: DashboardCourseDto[];
  @ApiProperty({
    type: [ActivityDayDto],
    description: 'Days with activity in the last 30 days (now − 30 days ≤ t ≤ now, UTC dates), newest first',
  })
  recent_activity!: ActivityDayDto[];
}

export class CourseAnalyticsDto {
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty() course_title!: string;
  @ApiProperty(int('Enrollments of the course')) total_enrollments!: number;
  @ApiProperty(int('Enrollments with status active')) active_students!: number;
  @ApiProperty(int('Enrollments with status completed')) completed_students!: number;
  @ApiProperty(dec('completed_students / total_enrollments × 100')) completion_rate!: string;
  @ApiProperty(dec('Mean progress_percentage')) average_progress!: string;
  @ApiProperty(dec('Mean time spent per enrollment, seconds / 3600')) average_time_hours!: string;
  @ApiProperty(dec('The course’s average rating')) average_rating!: string;
  @ApiProperty(int('Reviews of the course')) total_reviews!: number;
}

export class InstructorOverviewDto {
  @ApiProperty({ format: 'uuid' }) instructor_id!: string;
  @ApiProperty(int('Courses of the instructor')) total_courses!: number;
  @ApiProperty(int('Published courses of the instructor')) published_courses!: number;
  @ApiProperty(int('Distinct students enrolled in any of the courses')) total_students!: number;
  @ApiProperty(int('Enrollments over the courses')) total_enrollments!: number;
  @ApiProperty(dec('Mean average_rating of the courses that have reviews; 0.00 without any'))
  average_course_rating!: string;
}

export class SystemOverviewDto {
  @ApiProperty(int('Users')) total_users!: number;
  @ApiProperty(int('Users with role student')) total_students!: number;
  @ApiProperty(int('Users with role instructor')) total_instructors!: number;
  @ApiProperty(int('Courses')) total_courses!: number;
  @ApiProperty(int('Published courses')) published_courses!: number;
  @ApiProperty(int('Enrollments')) total_enrollments!: number;
  @ApiProperty(int('Enrollments with status active')) active_enrollments!: number;
}

export class LessonFunnelItemDto {
  @ApiProperty({ format: 'uuid' }) lesson_id!: string;
  @ApiProperty() lesson_title!: string;
  @ApiProperty({ type: 'integer' }) order_index!: number;
  @ApiProperty(int('Students whose progress on the lesson is in_progress or completed')) students_started!: number;
  @ApiProperty(int('Students who completed the lesson')) students_completed!: number;
  @ApiProperty(dec('students_completed / course enrollments × 100')) completion_rate!: string;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '95.50',
    description:
      'Median time spent (seconds) of the students who started; exact below 10 minutes, to 10 s below an hour, ' +
      'to 1 min below a day; null when nobody started (decimal string, 2 decimals)',
  })
  median_time_spent_seconds!: string | null;
}

export class LessonFunnelDto {
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty(int('Enrollments of the course (the funnel’s top)')) total_enrollments!: number;
  @ApiProperty({ type: [LessonFunnelItemDto], description: 'In lesson order' }) lessons!: LessonFunnelItemDto[];
}

export class QuizOptionStatDto {
  @ApiProperty({ description: 'The option id; "true"/"false" for true_false questions' }) option_id!: string;
  @ApiProperty() option_text!: string;
  @ApiProperty() is_correct!: boolean;
  @ApiProperty(int('Graded attempts that picked it')) picked!: number;
  @ApiProperty(dec('picked / attempts of the question')) pick_rate!: string;
}

export class QuizItemDto {
  @ApiProperty({ format: 'uuid' }) question_id!: string;
  @ApiProperty() question_text!: string;
  @ApiProperty({ enum: ['multiple_choice', 'multiple_response', 'true_false', 'short_answer', 'essay'] })
  question_type!: string;
  @ApiProperty(dec('The question’s points')) points!: string;
  @ApiProperty({ type: 'integer' }) order_index!: number;
  @ApiProperty(int('Graded attempts that contain the question')) attempts!: number;
  @ApiProperty({ ...dec('Mean points earned'), nullable: true }) mean_points!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '0.75',
    description: 'Share of attempts with full marks (0–1, 2 decimals); null for essays and without attempts',
  })
  facility_index!: string | null;
  @ApiProperty({
    type: String,
    nullable: true,
    example: '0.40',
    description:
      '(full marks in the upper 27 % − full marks in the lower 27 %) / group size, attempts ranked by total score ' +
      '(ties by attempt id); −1–1, 2 decimals; null for essays or with fewer than 2 graded attempts',
  })
  discrimination_index!: string | null;
  @ApiProperty({
    type: [QuizOptionStatDto],
    nullable: true,
    description: 'Choice questions (multiple_choice, multiple_response, true_false) only',
  })
  options!: QuizOptionStatDto[] | null;
}

export class QuizItemsDto {
  @ApiProperty({ format: 'uuid' }) quiz_id!: string;
  @ApiProperty() quiz_title!: string;
  @ApiProperty(int('Graded attempts (submitted ones awaiting essay grading are left out)')) graded_attempts!: number;
  @ApiProperty(int('Size of the upper and of the lower group: round(0.27 × graded_attempts)')) group_size!: number;
  @ApiProperty({ type: [QuizItemDto], description: 'In question order' }) items!: QuizItemDto[];
}

export const ACTIVITY_MAX_DAYS = 365;
export const ACTIVITY_DEFAULT_DAYS = 30;

export class CourseActivityQueryDto {
  @ApiProperty({ required: false, type: 'integer', minimum: 1, maximum: ACTIVITY_MAX_DAYS, default: 30 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(ACTIVITY_MAX_DAYS)
  days?: number;
}

export class CourseActivityDayDto {
  @ApiProperty({ type: String, format: 'date' }) date!: string;
  @ApiProperty(int('Enrollments made that day (enrolled_at)')) new_enrollments!: number;
  @ApiProperty(int('Enrollments completed that day (completed_at, status completed)')) completions!: number;
  @ApiProperty(int('Quiz attempts submitted that day (submitted_at)')) quiz_submissions!: number;
}

export class CourseActivityDto {
  @ApiProperty({ format: 'uuid' }) course_id!: string;
  @ApiProperty(int('Days covered: today (UTC) and the days − 1 before')) days!: number;
  @ApiProperty({ type: [CourseActivityDayDto], description: 'One entry per day, oldest first, zeros included' })
  daily!: CourseActivityDayDto[];
}
