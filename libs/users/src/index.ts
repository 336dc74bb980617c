export { User } from './user.entity.js';
export { UsersModule } from './users.module.js';
export { UsersService, normalizeEmail, type CreateUserInput, type UserAuthState } from './users.service.js';
export { PasswordService } from './password.service.js';
export { UserResponseDto } from './dto/user-response.dto.js';
export { UsersHttpModule } from './users-http.module.js';
