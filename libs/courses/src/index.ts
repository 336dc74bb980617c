export { Category } from './category.entity.js';
export { Course, DIFFICULTY_LEVELS, type DifficultyLevel } from './course.entity.js';
export { Lesson, LESSON_TYPES, type LessonType } from './lesson.entity.js';
export { CoursesModule } from './courses.module.js';
export { canManageCourse, canViewCourse, viewerKey, CACHE_NS } from './course-access.js';
export { CoursesHttpModule } from './courses-http.module.js';
