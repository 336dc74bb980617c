import { randomUUID } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import nodemailer, { type Transporter } from 'nodemailer';
import { AppConfig, dataPath, type OutboxJobRef, type SendEmailPayload } from '#core';

export type EmailDelivery = { kind: 'smtp'; messageId: string } | { kind: 'file'; path: string };

/**
 * Sends mail through SMTP when SMTP_HOST is set (SMTP_USE_SSL = implicit TLS, SMTP_USE_TLS =
 * STARTTLS required), otherwise writes each message as an .eml file under DATA_DIR/mail and logs
 * one line (recipient, subject, file; never the body). The transport is built on first use.
 */
@Injectable()
export class EmailTransport implements OnApplicationShutdown {
  private readonly logger = new Logger(EmailTransport.name);
  private smtp?: Transporter;

  constructor(@Inject(AppConfig) private readonly config: AppConfig) {}

  /** `messageId` (`<id@domain>`): a stable Message-ID, so a redelivered job's copy is recognisable. */
  async send(message: SendEmailPayload, options: { messageId?: string } = {}): Promise<EmailDelivery> {
    const mail = {
      from: this.config.EMAIL_FROM,
      ...message,
      ...(options.messageId ? { messageId: options.messageId } : {}),
    };
    if (this.config.SMTP_HOST) {
      const info = (await this.smtpTransport().sendMail(mail)) as { messageId: string };
      return { kind: 'smtp', messageId: info.messageId };
    }
    const file = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' });
    const info = await file.sendMail(mail);
    const dir = dataPath(this.config, 'mail');
    await mkdir(dir, { recursive: true });
    const path = join(dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${randomUUID()}.eml`);
    await writeFile(path, info.message as Buffer);
    this.logger.log(`email to ${message.to} "${message.subject}" written to ${path}`);
    return { kind: 'file', path };
  }

  /** The Message-ID of an outbox event's mail: `<{event_id}.{handler}@{EMAIL_FROM's domain}>`. */
  messageIdOf(event: OutboxJobRef): string {
    const domain = /@([^\s>]+)>?\s*$/.exec(this.config.EMAIL_FROM)?.[1] ?? 'lms.local';
    return `<${event.eventId}.${event.handler}@${domain}>`;
  }

  onApplicationShutdown(): void {
    this.smtp?.close();
  }

  private smtpTransport(): Transporter {
    const c = this.config;
    this.smtp ??= nodemailer.createTransport({
      host: c.SMTP_HOST,
      port: c.SMTP_PORT,
      secure: c.SMTP_USE_SSL,
      requireTLS: c.SMTP_USE_TLS && !c.SMTP_USE_SSL,
      auth: c.SMTP_USERNAME ? { user: c.SMTP_USERNAME, pass: c.SMTP_PASSWORD ?? '' } : undefined,
    });
    return this.smtp;
  }
}
