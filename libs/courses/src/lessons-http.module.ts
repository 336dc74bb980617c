import { Module } from '@nestjs/common';
import { CoursesModule } from './courses.module.js';
import { LessonsController } from './lessons.controller.js';
import { LessonsService } from './lessons.service.js';

/** /courses/{course_id}/lessons and /lessons/{id}; imported by CoursesHttpModule. */
@Module({
  imports: [CoursesModule],
  controllers: [LessonsController],
  providers: [LessonsService],
  exports: [LessonsService],
})
export class LessonsHttpModule {}
