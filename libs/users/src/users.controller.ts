import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnauthorizedResponse,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import {
  ApiPaginatedResponse,
  Authenticated,
  CacheService,
  CurrentUser,
  offset,
  paginate,
  ProblemException,
  PaginationQueryDto,
  type AuthUser,
  type Page,
  uuidParam,
  PROBLEM_SCHEMA_REF,
} from '#core';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { UpdateMeDto } from './dto/update-me.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { PasswordService } from './password.service.js';
import { UsersService } from './users.service.js';

const PROBLEM = PROBLEM_SCHEMA_REF;

export const userIdPipe = uuidParam('id');

/**
 * The catalog's cache namespace (#courses' CACHE_NS.courses, which this lib cannot import): course
 * responses carry the instructor's full name, so a name change clears them.
 */
const COURSES_CACHE_NS = 'courses';

function userNotFound(): ProblemException {
  return new ProblemException(404, 'not_found', 'User not found');
}

/**
 * /users: the caller's own account (any signed-in user) and user administration (admins only).
 * Roles are set only here, by an admin (POST /users, PATCH /users/{id}).
 */
@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(
    @Inject(UsersService) private readonly users: UsersService,
    @Inject(PasswordService) private readonly passwords: PasswordService,
    @Inject(CacheService) private readonly cache: CacheService,
  ) {}

  @Get('me')
  @Authenticated()
  @ApiOperation({ summary: 'The signed-in user' })
  @ApiOkResponse({ type: UserResponseDto })
  async me(@CurrentUser() caller: AuthUser): Promise<UserResponseDto> {
    const user = await this.users.findById(caller.id);
    if (!user) throw userNotFound();
    return UserResponseDto.from(user);
  }

  @Patch('me')
  @Authenticated()
  @ApiOperation({
    summary: 'Update my name or password',
    description:
      'Only `full_name`, `password` and `current_password` are accepted (any other field is 422). ' +
      'A password change needs `current_password` (wrong: 401 `invalid_password`, as the MFA endpoints) and revokes every ' +
      "outstanding access and refresh token of the user, this request's included: sign in again.",
  })
  @ApiBody({ type: UpdateMeDto })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiUnauthorizedResponse({
    description: 'Missing, invalid or revoked access token; or `invalid_password`: current_password is wrong',
    schema: PROBLEM,
  })
  @ApiUnprocessableEntityResponse({ description: 'Validation failed or unknown field', schema: PROBLEM })
  async updateMe(@CurrentUser() caller: AuthUser, @Body() body: UpdateMeDto): Promise<UserResponseDto> {
    const password = body.password ?? undefined;
    if (password !== undefined) {
      const current = await this.users.findByIdWithPassword(caller.id);
      if (!current) throw userNotFound();
      if (!(await this.passwords.verify(body.current_password ?? '', current.passwordHash))) {
        throw new ProblemException(401, 'invalid_password', 'Invalid password');
      }
    }
    if (body.full_name != null) {
      await this.users.update(caller.id, { fullName: body.full_name });
      await this.cache.invalidate(COURSES_CACHE_NS);
    }
    if (password !== undefined) await this.users.setPassword(caller.id, password);
    return this.me(caller);
  }

  @Get()
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ summary: 'List users (admin), newest first' })
  @ApiPaginatedResponse(UserResponseDto)
  @ApiUnprocessableEntityResponse({ description: 'page < 1 or page_size outside 1..100', schema: PROBLEM })
  async list(@Query() query: PaginationQueryDto): Promise<Page<UserResponseDto>> {
    const [rows, total] = await this.users.list(offset(query), query.page_size);
    return paginate(rows.map(UserResponseDto.from), total, query);
  }

  @Get(':id')
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ summary: 'Get a user (admin)' })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ description: 'User not found', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'id is not a UUID', schema: PROBLEM })
  async get(@Param('id', userIdPipe) id: string): Promise<UserResponseDto> {
    const user = await this.users.findById(id);
    if (!user) throw userNotFound();
    return UserResponseDto.from(user);
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({
    summary: 'Create a user (admin)',
    description:
      'Any role (default student), so admins create instructors and other admins. The email counts as verified.',
  })
  @ApiBody({ type: CreateUserDto })
  @ApiCreatedResponse({ type: UserResponseDto })
  @ApiConflictResponse({ description: '`email_taken`: the email is already registered', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Validation failed', schema: PROBLEM })
  async create(@Body() body: CreateUserDto): Promise<UserResponseDto> {
    const user = await this.users.create({
      email: body.email,
      password: body.password,
      fullName: body.full_name,
      role: body.role ?? 'student',
      emailVerified: true,
    });
    return UserResponseDto.from(user);
  }

  @Patch(':id')
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({
    summary: 'Update a user (admin)',
    description:
      'Null values are ignored. `is_active: false` and a new `password` revoke every token of the user. ' +
      'An admin cannot demote or deactivate themself (409 `self_demotion`), and the last active admin ' +
      'cannot be demoted or deactivated (409 `last_admin`).',
  })
  @ApiBody({ type: AdminUpdateUserDto })
  @ApiOkResponse({ type: UserResponseDto })
  @ApiNotFoundResponse({ description: 'User not found', schema: PROBLEM })
  @ApiConflictResponse({ description: '`self_demotion` or `last_admin`', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Validation failed', schema: PROBLEM })
  async update(
    @CurrentUser() caller: AuthUser,
    @Param('id', userIdPipe) id: string,
    @Body() body: AdminUpdateUserDto,
  ): Promise<UserResponseDto> {
    const user = await this.users.adminUpdate(
      id,
      {
        fullName: body.full_name ?? undefined,
        role: body.role ?? undefined,
        isActive: body.is_active ?? undefined,
        password: body.password ?? undefined,
      },
      caller.id,
    );
    if (!user) throw userNotFound();
    if (body.full_name != null) await this.cache.invalidate(COURSES_CACHE_NS);
    return UserResponseDto.from(user);
  }
}
