import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DeploymentNotice } from './deployment-notice.entity.js';
import { PasswordService } from './password.service.js';
import { User } from './user.entity.js';
import { UsersService } from './users.service.js';

/** Users and passwords (no HTTP): imported by #auth and by UsersHttpModule. */
@Module({
  imports: [TypeOrmModule.forFeature([User, DeploymentNotice])],
  providers: [UsersService, PasswordService],
  exports: [UsersService, PasswordService],
})
export class UsersModule {}
