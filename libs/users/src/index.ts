export { User } from './user.entity.js';
export { UsersModule } from './users.module.js';
export { UsersService, normalizeEmail, type CreateUserInput, type UserAuthState } from './users.service.js';
export { PasswordService } from './password.service.js';
export { UserResponseDto } from './dto/user-response.dto.js';
export { UsersHttpModule } from './users-http.module.js';
export { ADMIN_SET_LOCK_KEY, type AdminUserChanges } from './users.service.js';
export {
  AdminBootstrapService,
  DEMO_ACCOUNTS,
  CREATE_ADMIN_HINT,
  type BootstrapOutcome,
} from './admin-bootstrap.service.js';
export { UsersController } from './users.controller.js';
export { CreateUserDto } from './dto/create-user.dto.js';
export { UpdateMeDto } from './dto/update-me.dto.js';
export { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
