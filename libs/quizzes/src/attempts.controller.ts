import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';

@ApiTags('quizzes')
@Controller()
export class AttemptsController {}
