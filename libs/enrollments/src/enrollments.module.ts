import { Module, type DynamicModule } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Enrollment, LessonProgress } from './enrollment.entity.js';

/** Enrollment entities (certificates, issued on completion, are #certificates'). */
@Module({})
export class EnrollmentsModule {
  static forRoot(_opts: { workers: boolean }): DynamicModule {
    return {
      module: EnrollmentsModule,
      imports: [TypeOrmModule.forFeature([Enrollment, LessonProgress])],
      exports: [TypeOrmModule],
    };
  }
}
