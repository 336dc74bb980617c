import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Category } from './category.entity.js';
import { Course } from './course.entity.js';
import { CoursesService } from './courses.service.js';
import { Lesson } from './lesson.entity.js';

/** Catalog entities and services (no HTTP): imported by CoursesHttpModule and #enrollments. */
@Module({
  imports: [TypeOrmModule.forFeature([Category, Course, Lesson])],
  providers: [CoursesService],
  exports: [TypeOrmModule, CoursesService],
})
export class CoursesModule {}
