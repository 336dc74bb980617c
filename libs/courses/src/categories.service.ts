import { Inject, Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { type DataSource, type QueryDeepPartialEntity } from 'typeorm';
import { AppConfig, CacheService, ProblemException, isUniqueViolation } from '#core';
import { Category } from './category.entity.js';
import { CACHE_NS } from './course-access.js';
import type {
  CategoryListResponseDto,
  CategoryResponseDto,
  CreateCategoryDto,
  UpdateCategoryDto,
} from './dto/category.dto.js';
import { CATEGORY_SLUG_MAX } from './dto/category.dto.js';
import { slugify } from './slug.js';

function categoryNotFound(): ProblemException {
  return new ProblemException(404, 'not_found', 'Category not found');
}

function slugTaken(): ProblemException {
  return new ProblemException(409, 'slug_taken', 'Category slug already exists');
}

interface CategoryRow {
  id: string;
  slug: string;
  name: string;
  description: string | null;
  course_count: number;
}

const SELECT_WITH_COUNT = `
  SELECT c.id, c.slug, c.name, c.description,
         (SELECT count(*)::int FROM courses co WHERE co.category_id = c.id AND co.is_published) AS course_count
    FROM categories c`;

/** Categories (admin-managed); `course_count` counts published courses. The list is cached. */
@Injectable()
export class CategoriesService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @Inject(AppConfig) private readonly config: AppConfig,
    @Inject(CacheService) private readonly cache: CacheService,
  ) {}

  /** Every category, by name (one entry for everybody: categories are public). */
  list(): Promise<CategoryListResponseDto> {
    return this.cache.getOrLoad(CACHE_NS.categories, 'all', this.config.CACHE_DEFAULT_TTL_SECONDS, async () => {
      const rows: CategoryRow[] = await this.dataSource.query(`${SELECT_WITH_COUNT} ORDER BY c.name, c.slug`);
      return { items: rows };
    });
  }

  async get(id: string): Promise<CategoryResponseDto> {
    const [row] = (await this.dataSource.query(`${SELECT_WITH_COUNT} WHERE c.id = $1`, [id])) as CategoryRow[];
    if (!row) throw categoryNotFound();
    return row;
  }

  async create(body: CreateCategoryDto): Promise<CategoryResponseDto> {
    const slug = body.slug ?? slugify(body.name).slice(0, CATEGORY_SLUG_MAX).replace(/-+$/, '');
    if (!slug) {
      throw new ProblemException(422, 'validation_failed', 'Validation failed: slug cannot be derived from name', {
        errors: [{ field: 'slug', message: 'slug is required when name has no letters or digits', code: 'is_defined' }],
      });
    }
    let id: string;
    try {
      const result = await this.dataSource
        .getRepository(Category)
        .insert({ slug, name: body.name, description: body.description ?? null });
      id = (result.identifiers[0] as { id: string }).id;
    } catch (err) {
      if (isUniqueViolation(err)) throw slugTaken();
      throw err;
    }
    await this.cache.invalidate(CACHE_NS.categories);
    return this.get(id);
  }

  async update(id: string, body: UpdateCategoryDto): Promise<CategoryResponseDto> {
    const changes: QueryDeepPartialEntity<Category> = { updatedAt: () => 'now()' };
    if (body.name !== undefined) changes.name = body.name;
    if (body.slug !== undefined) changes.slug = body.slug;
    if (body.description !== undefined) changes.description = body.description;
    try {
      const result = await this.dataSource.getRepository(Category).update({ id }, changes);
      if (!result.affected) throw categoryNotFound();
    } catch (err) {
      if (isUniqueViolation(err)) throw slugTaken();
      throw err;
    }
    // A renamed slug shows in every course of the category.
    await this.cache.invalidate(CACHE_NS.categories, CACHE_NS.courses);
    return this.get(id);
  }

  /** Deletes the category; its courses keep existing without one (FK ON DELETE SET NULL). */
  async remove(id: string): Promise<void> {
    const result = await this.dataSource.getRepository(Category).delete({ id });
    if (!result.affected) throw categoryNotFound();
    await this.cache.invalidate(CACHE_NS.categories, CACHE_NS.courses);
  }
}
