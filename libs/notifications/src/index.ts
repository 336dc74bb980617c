export { NotificationsModule } from './notifications.module.js';
export { EmailService } from './email.service.js';
export { EmailTransport, type EmailDelivery } from './email.transport.js';
export { SendEmailHandler } from './send-email.handler.js';
