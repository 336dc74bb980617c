import { Module } from '@nestjs/common';
import { CoursesModule } from './courses.module.js';

// STUB: /courses, /categories and lessons endpoints (replaced by that work).
@Module({ imports: [CoursesModule] })
export class CoursesHttpModule {}
