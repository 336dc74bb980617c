import { Body, Controller, Get, HttpCode, Inject, Param, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiTags, getSchemaPath } from '@nestjs/swagger';
import {
  ApiPaginatedResponse,
  Authenticated,
  CurrentUser,
  Idempotent,
  uuidParam,
  type AuthUser,
  type Page,
  Endpoint,
} from '#core';
import { AttemptsService } from './attempts.service.js';
import {
  AttemptListItemDto,
  AttemptResponseDto,
  AttemptResultDto,
  AttemptStartViewDto,
  GradeAttemptDto,
  ListAttemptsQueryDto,
  ManagedAttemptResultDto,
  StartAttemptResponseDto,
  SubmitAttemptDto,
} from './dto/attempt.dto.js';

const SECRECY =
  'Students never see `is_correct`, `points_earned`, the answer key (`correct_option_id(s)`, `correct_answer`) ' +
  "or `explanation` before the attempt is graded, and afterwards only when the quiz's `show_correct_answers` is on.";

/**
 * /quizzes/{quiz_id}/attempts: students start, submit and read their attempts; the course's
 * managers (an admin or the owning instructor) list, read and grade them (reference section 7).
 */
@ApiTags('quizzes')
@Controller('quizzes/:quiz_id/attempts')
export class AttemptsController {
  constructor(@Inject(AttemptsService) private readonly attempts: AttemptsService) {}

  @Post()
  @HttpCode(201)
  @Idempotent()
  // Roles are checked in the service, for the original's detail ("Only students can start quiz attempts").
  @Authenticated()
  @Endpoint({
    summary: 'Start an attempt (enrolled students)',
    description:
      'The server sets `started_at` (its clock) and `deadline_at` = started_at + time limit. One in-progress ' +
      'attempt per student and quiz, even under concurrent requests; one that is past its deadline (plus the ' +
      'grace period) is finalized with score 0 first. `max_score` is the sum of the question points. ' +
      'Honours an `Idempotency-Key` header.',
    operationId: 'startAttempt',
    errors: {
      403:
        '`forbidden` (not a student), `quiz_not_published`, `not_enrolled`, `enrollment_not_active` (only ' +
        'active and completed enrollments), `attempt_in_progress` (with `attempt_id`), `max_attempts_reached`',
      404: 'Quiz not found',
      409: 'Another start of the same student won a race; retry',
      422: 'quiz_id is not a UUID',
    },
  })
  @ApiCreatedResponse({ type: StartAttemptResponseDto })
  start(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
  ): Promise<StartAttemptResponseDto> {
    return this.attempts.start(caller, quizId);
  }

  @Get()
  @Authenticated()
  @Endpoint({
    summary: "A quiz's attempts, newest first (course managers)",
    description: 'For graders: `?status=submitted` lists the attempts whose essay answers await grading.',
    operationId: 'listAttempts',
    errors: {
      403: 'Not a manager of the course',
      404: 'Quiz not found',
      422: 'quiz_id is not a UUID; bad page, page_size or status',
    },
  })
  @ApiPaginatedResponse(AttemptListItemDto)
  list(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @Query() query: ListAttemptsQueryDto,
  ): Promise<Page<AttemptListItemDto>> {
    return this.attempts.list(caller, quizId, query);
  }

  @Get('start')
  @Authenticated()
  @Endpoint({
    summary: 'The quiz and its questions, as students answer them',
    description:
      'No answer data. Options are shuffled when `shuffle_options` is on and the questions when ' +
      '`shuffle_questions` is on, afresh on each call. Enrolled students of a published quiz, and the ' +
      "course's managers (any state).",
    operationId: 'getAttemptStartView',
    errors: {
      403: '`quiz_not_published`, `not_enrolled`, or `forbidden` (an instructor of another course)',
      404: 'Quiz not found',
      422: 'quiz_id is not a UUID',
    },
  })
  @ApiOkResponse({ type: AttemptStartViewDto })
  startView(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
  ): Promise<AttemptStartViewDto> {
    return this.attempts.startView(caller, quizId);
  }

  @Get('my-attempts')
  @Authenticated()
  @Endpoint({
    summary: "The caller's attempts at the quiz, by attempt_number (enrolled students)",
    operationId: 'listMyAttempts',
    errors: {
      403: '`forbidden` (not a student) or `not_enrolled`',
      404: 'Quiz not found',
      422: 'quiz_id is not a UUID',
    },
  })
  @ApiOkResponse({ type: [AttemptResponseDto] })
  myAttempts(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
  ): Promise<AttemptResponseDto[]> {
    return this.attempts.myAttempts(caller, quizId);
  }

  @Post(':attempt_id/submit')
  @HttpCode(200)
  @Authenticated()
  @Endpoint({
    summary: 'Submit answers (the attempt’s student)',
    description:
      'Answers are checked first (400 `invalid_answer`, nothing changes). After the deadline plus ' +
      '`QUIZ_SUBMIT_GRACE_SECONDS` the attempt is finalized with score 0 (`expired`) and the reply is 403 ' +
      '`time_limit_exceeded`. Otherwise each question is scored all-or-nothing (unanswered: 0); an answered ' +
      'essay leaves the attempt `submitted` (score null) until a manager grades it. A passing attempt completes ' +
      'the quiz’s lesson. Emits `quiz.submitted`. ' +
      SECRECY,
    operationId: 'submitAttempt',
    errors: {
      400: '`invalid_answer`: an answer breaks a rule (see detail)',
      403: '`forbidden` (not a student), `attempt_already_submitted`, `time_limit_exceeded`',
      404: "Attempt not found (not the caller's, or another quiz's)",
      422: 'Validation failed (body shape, ids)',
    },
  })
  @ApiBody({ type: SubmitAttemptDto })
  @ApiOkResponse({ type: AttemptResultDto })
  submit(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @Param('attempt_id', uuidParam('attempt_id')) attemptId: string,
    @Body() body: SubmitAttemptDto,
  ): Promise<AttemptResultDto> {
    return this.attempts.submit(caller, quizId, attemptId, body.answers ?? []);
  }

  @Post(':attempt_id/grade')
  @HttpCode(200)
  @Authenticated()
  @Endpoint({
    summary: 'Grade the essay answers of a submitted attempt (course managers)',
    description:
      'Every pending essay answer must be graded in one call, with 0 ≤ `points_earned` ≤ the question’s ' +
      'points (full points = correct). The attempt becomes `graded` (score, percentage, is_passed, graded_at, ' +
      'graded_by); a pass completes the quiz’s lesson. Emits `quiz.graded`.',
    operationId: 'gradeAttempt',
    errors: {
      400: '`invalid_grade`: a duplicate, a question without a pending essay answer, too many points, or a pending answer left ungraded',
      403: 'Not a manager of the course',
      404: 'Quiz not found, or attempt not found in this quiz',
      409: '`attempt_not_awaiting_grading`: the attempt is not `submitted`',
      422: 'Validation failed (body shape, ids)',
    },
  })
  @ApiBody({ type: GradeAttemptDto })
  @ApiOkResponse({ type: ManagedAttemptResultDto })
  grade(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @Param('attempt_id', uuidParam('attempt_id')) attemptId: string,
    @Body() body: GradeAttemptDto,
  ): Promise<ManagedAttemptResultDto> {
    return this.attempts.grade(caller, quizId, attemptId, body.grades);
  }

  @Get(':attempt_id')
  @Authenticated()
  @Endpoint({
    summary: 'One attempt with its answers',
    description:
      'Its student (others get 404), or a manager of the course (everything, answer key included). ' + SECRECY,
    operationId: 'getAttempt',
    errors: {
      403: 'An instructor who does not manage the course',
      404: 'Quiz not found, or attempt not found',
      422: 'A path parameter is not a UUID',
    },
  })
  @ApiExtraModels(AttemptResultDto, ManagedAttemptResultDto)
  @ApiOkResponse({
    schema: { oneOf: [{ $ref: getSchemaPath(AttemptResultDto) }, { $ref: getSchemaPath(ManagedAttemptResultDto) }] },
  })
  get(
    @CurrentUser() caller: AuthUser,
    @Param('quiz_id', uuidParam('quiz_id')) quizId: string,
    @Param('attempt_id', uuidParam('attempt_id')) attemptId: string,
  ): Promise<AttemptResultDto | ManagedAttemptResultDto> {
    return this.attempts.get(caller, quizId, attemptId);
  }
}
