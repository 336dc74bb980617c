import { Module } from '@nestjs/common';
import { CategoriesController } from './categories.controller.js';
import { CategoriesService } from './categories.service.js';
import { CoursesController } from './courses.controller.js';
import { CoursesModule } from './courses.module.js';
import { LessonsHttpModule } from './lessons-http.module.js';

/** /courses, /categories and (through LessonsHttpModule) the lesson endpoints. */
@Module({
  imports: [CoursesModule, LessonsHttpModule],
  controllers: [CoursesController, CategoriesController],
  providers: [CategoriesService],
})
export class CoursesHttpModule {}
