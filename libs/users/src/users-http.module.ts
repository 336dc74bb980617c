import { Module } from '@nestjs/common';
import { UsersModule } from './users.module.js';

// STUB: /users endpoints (replaced by that work).
@Module({ imports: [UsersModule] })
export class UsersHttpModule {}
