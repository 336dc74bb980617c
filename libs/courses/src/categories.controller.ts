import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post } from '@nestjs/common';
import { ApiBody, ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, Idempotent, Public, uuidParam, Endpoint } from '#core';
import { CategoriesService } from './categories.service.js';
import {
  CategoryListResponseDto,
  CategoryResponseDto,
  CreateCategoryDto,
  UpdateCategoryDto,
} from './dto/category.dto.js';

const idPipe = uuidParam('id');

/** /categories: public list with published-course counts; admins manage them. */
@ApiTags('categories')
@Controller('categories')
export class CategoriesController {
  constructor(@Inject(CategoriesService) private readonly categories: CategoriesService) {}

  @Get()
  @Public()
  @Endpoint({
    summary: 'List categories',
    description: '`course_count` counts published courses. A course refers to its category by slug.',
    operationId: 'listCategories',
  })
  @ApiOkResponse({ type: CategoryListResponseDto })
  list(): Promise<CategoryListResponseDto> {
    return this.categories.list();
  }

  @Post()
  @HttpCode(201)
  @Authenticated({ roles: ['admin'] })
  @Idempotent()
  @Endpoint({
    summary: 'Create a category (admin)',
    description: 'Accepts an `Idempotency-Key` header.',
    operationId: 'createCategory',
    errors: { 409: '`slug_taken`', 422: 'Validation failed' },
  })
  @ApiBody({ type: CreateCategoryDto })
  @ApiCreatedResponse({ type: CategoryResponseDto })
  create(@Body() body: CreateCategoryDto): Promise<CategoryResponseDto> {
    return this.categories.create(body);
  }

  @Patch(':id')
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'Update a category (admin)',
    operationId: 'updateCategory',
    errors: { 404: 'Category not found', 409: '`slug_taken`', 422: 'Validation failed' },
  })
  @ApiBody({ type: UpdateCategoryDto })
  @ApiOkResponse({ type: CategoryResponseDto })
  update(@Param('id', idPipe) id: string, @Body() body: UpdateCategoryDto): Promise<CategoryResponseDto> {
    return this.categories.update(id, body);
  }

  @Delete(':id')
  @HttpCode(204)
  @Authenticated({ roles: ['admin'] })
  @Endpoint({
    summary: 'Delete a category (admin)',
    description: 'Its courses stay, without a category (`category: null`).',
    operationId: 'deleteCategory',
    errors: { 404: 'Category not found' },
  })
  @ApiNoContentResponse({ description: 'Deleted' })
  async remove(@Param('id', idPipe) id: string): Promise<void> {
    await this.categories.remove(id);
  }
}
