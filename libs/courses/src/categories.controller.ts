import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import {
  ApiBody,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiNoContentResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { Authenticated, Idempotent, Public, uuidParam, PROBLEM_SCHEMA_REF } from '#core';
import { CategoriesService } from './categories.service.js';
import {
  CategoryListResponseDto,
  CategoryResponseDto,
  CreateCategoryDto,
  UpdateCategoryDto,
} from './dto/category.dto.js';

const PROBLEM = PROBLEM_SCHEMA_REF;
const idPipe = uuidParam('id');

/** /categories: public list with published-course counts; admins manage them. */
@ApiTags('categories')
@Controller('categories')
export class CategoriesController {
  constructor(@Inject(CategoriesService) private readonly categories: CategoriesService) {}

  @Get()
  @Public()
  @ApiOperation({
    summary: 'List categories',
    description: '`course_count` counts published courses. A course refers to its category by slug.',
  })
  @ApiOkResponse({ type: CategoryListResponseDto })
  list(): Promise<CategoryListResponseDto> {
    return this.categories.list();
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin'] })
  @Idempotent()
  @ApiOperation({ summary: 'Create a category (admin)', description: 'Accepts an `Idempotency-Key` header.' })
  @ApiBody({ type: CreateCategoryDto })
  @ApiCreatedResponse({ type: CategoryResponseDto })
  @ApiConflictResponse({ description: '`slug_taken`', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Validation failed', schema: PROBLEM })
  create(@Body() body: CreateCategoryDto): Promise<CategoryResponseDto> {
    return this.categories.create(body);
  }

  @Patch(':id')
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({ summary: 'Update a category (admin)' })
  @ApiBody({ type: UpdateCategoryDto })
  @ApiOkResponse({ type: CategoryResponseDto })
  @ApiNotFoundResponse({ description: 'Category not found', schema: PROBLEM })
  @ApiConflictResponse({ description: '`slug_taken`', schema: PROBLEM })
  @ApiUnprocessableEntityResponse({ description: 'Validation failed', schema: PROBLEM })
  update(@Param('id', idPipe) id: string, @Body() body: UpdateCategoryDto): Promise<CategoryResponseDto> {
    return this.categories.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: ['admin'] })
  @ApiOperation({
    summary: 'Delete a category (admin)',
    description: 'Its courses stay, without a category (`category: null`).',
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  @ApiNotFoundResponse({ description: 'Category not found', schema: PROBLEM })
  async remove(@Param('id', idPipe) id: string): Promise<void> {
    await this.categories.remove(id);
  }
}
