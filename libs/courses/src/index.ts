export { Category } from './category.entity.js';
export { Course, DIFFICULTY_LEVELS, type DifficultyLevel } from './course.entity.js';
export { Lesson, LESSON_TYPES, type LessonType } from './lesson.entity.js';
export { CoursesModule } from './courses.module.js';
export { canManageCourse, canViewCourse, viewerKey, CACHE_NS } from './course-access.js';
export { CoursesHttpModule } from './courses-http.module.js';
export { CoursesService, courseNotFound } from './courses.service.js';
export {
  catalogStatements,
  COURSE_BY_ID_SQL,
  COURSE_BY_SLUG_SQL,
  toCourseResponse,
  type CourseListFilters,
  type CourseRow,
} from './catalog-sql.js';
export { CategoriesService } from './categories.service.js';
export { slugify } from './slug.js';
export { CourseResponseDto, CreateCourseDto, UpdateCourseDto, ListCoursesQueryDto } from './dto/course.dto.js';
export { CategoryResponseDto, CreateCategoryDto, UpdateCategoryDto } from './dto/category.dto.js';
export { LessonsHttpModule } from './lessons-http.module.js';
export { LessonsService } from './lessons.service.js';
