import { Body, Controller, Get, HttpCode, Inject, Param, Patch, Post, Query } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
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
  Endpoint,
} from '#core';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
import { CreateUserDto } from './dto/create-user.dto.js';
import { UpdateMeDto } from './dto/update-me.dto.js';
import { UserResponseDto } from './dto/user-response.dto.js';
import { PasswordService } from './password.service.js';
import { UsersService } from './users.service.js';

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
  @Endpoint({ summary: 'The signed-in user', operationId: 'getMyProfile' })
  @ApiOkResponse({ type: UserResponseDto })
  async me(@CurrentUser() caller: AuthUser): Promise<UserResponseDto> {
    const user = await this.users.findById(caller.id);
    if (!user) throw userNotFound();
    return UserResponseDto.from(user);
  }

  @Patch('me')
  @Authenticated()
  @Endpoint({
    summary: 'Update my name or password',
    description:
      'Only `full_name`, `password` and `current_password` are accepted (any other field is 422). ' +
      'A password change needs `current_password` (wrong: 401 `invalid_password`, as the MFA endpoints) and revokes every ' +
      "outstanding access and refresh token of the user, this request's included: sign in again.",
    operationId: 'updateMyProfile',
    errors: {
      401: 'Missing, invalid or revoked access token; or `invalid_password`: current_password is wrong',
      422: 'Validation failed or unknown field',
    },
  })
  @ApiBody({ type: UpdateMeDto })
  @ApiOkResponse({ type: UserResponseDto })
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
  @Endpoint({
    summary: 'List users (admin), newest first',
    operationId: 'listUsers',
    errors: { 422: 'page < 1 or page_size outside 1..100' },
  })
  @ApiPaginatedResponse(UserResponseDto)
  async list(@Query() query: PaginationQueryDto): Promise<Page<UserResponseDto>> {
    const [rows, total] = await this.users.list(offset(query), query.page_size);
    return paginate(rows.map(UserResponseDto.from), total, query);
  }

  @Get(':id')
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'Get a user (admin)',
    operationId: 'getUser',
    errors: { 404: 'User not found', 422: 'id is not a UUID' },
  })
  @ApiOkResponse({ type: UserResponseDto })
  async get(@Param('id', userIdPipe) id: string): Promise<UserResponseDto> {
    const user = await this.users.findById(id);
    if (!user) throw userNotFound();
    return UserResponseDto.from(user);
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'Create a user (admin)',
    description:
      'Any role (default student), so admins create instructors and other admins. The email counts as verified.',
    operationId: 'createUser',
    errors: { 409: '`email_taken`: the email is already registered', 422: 'Validation failed' },
  })
  @ApiBody({ type: CreateUserDto })
  @ApiCreatedResponse({ type: UserResponseDto })
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
  @Endpoint({
    summary: 'Update a user (admin)',
    description:
      'Null values are ignored. `is_active: false` and a new `password` revoke every token of the user. ' +
      'An admin cannot demote or deactivate themself (409 `self_demotion`), and the last active admin ' +
      'cannot be demoted or deactivated (409 `last_admin`).',
    operationId: 'updateUser',
    errors: { 404: 'User not found', 409: '`self_demotion` or `last_admin`', 422: 'Validation failed' },
  })
  @ApiBody({ type: AdminUpdateUserDto })
  @ApiOkResponse({ type: UserResponseDto })
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
