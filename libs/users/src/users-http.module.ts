import { Module } from '@nestjs/common';
import { AdminBootstrapService } from './admin-bootstrap.service.js';
import { UsersController } from './users.controller.js';
import { UsersModule } from './users.module.js';

/** /users endpoints and the first-admin bootstrap run by the API entry point. */
@Module({
  imports: [UsersModule],
  controllers: [UsersController],
  providers: [AdminBootstrapService],
  exports: [AdminBootstrapService],
})
export class UsersHttpModule {}
