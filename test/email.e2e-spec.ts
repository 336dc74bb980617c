import { SMTPServer } from 'smtp-server';
import type { AddressInfo } from 'node:net';
import { EmailService } from '#notifications';
import { createTestApp, type TestApp } from '#testing';
import { mailFiles, uniqueSubject, until } from './queue-test-utils.js';

describe('send-email over SMTP', () => {
  let smtp: SMTPServer;
  let t: TestApp;
  const received: Array<{ from: string; to: string[]; raw: string }> = [];

  beforeAll(async () => {
    smtp = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS'],
      logger: false,
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (c: Buffer) => chunks.push(c));
        stream.on('end', () => {
          received.push({
            from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
            to: session.envelope.rcptTo.map((r) => r.address),
            raw: Buffer.concat(chunks).toString('utf8'),
          });
          callback();
        });
      },
    });
    await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
    const port = (smtp.server.address() as AddressInfo).port;
    t = await createTestApp({
      workers: true,
      env: { SMTP_HOST: '127.0.0.1', SMTP_PORT: String(port), SMTP_USE_TLS: 'false', EMAIL_FROM: 'lms@example.org' },
    });
  });

  afterAll(async () => {
    await t?.close();
    await new Promise<void>((resolve) => smtp.close(() => resolve()));
  });

  it('delivers a queued email to the SMTP server (and writes no file)', async () => {
    const subject = uniqueSubject('Your certificate');
    await t.app
      .get(EmailService)
      .queue({ to: 'grace@example.com', subject, text: 'Plain body', html: '<p>HTML body</p>' });
    const msg = await until('the SMTP server to receive it', () => received.find((m) => m.raw.includes(subject)));
    expect(msg.from).toBe('lms@example.org');
    expect(msg.to).toEqual(['grace@example.com']);
    expect(msg.raw).toContain('Plain body');
    expect(msg.raw).toContain('<p>HTML body</p>');
    expect(await mailFiles(t.config)).toEqual([]);
  });
});

describe('send-email without SMTP (.eml fallback)', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await createTestApp({ workers: true });
  });

  afterAll(async () => {
    await t?.close();
  });

  it('writes the message as an .eml file under DATA_DIR/mail', async () => {
    const subject = uniqueSubject('Reset your password');
    await t.app.get(EmailService).queue({ to: 'alan@example.com', subject, text: 'Use this link' });
    const file = await until('the .eml file', async () =>
      (await mailFiles(t.config)).find((f) => f.content.includes(subject)),
    );
    expect(file.path.startsWith(`${t.config.DATA_DIR.replace(/\/$/, '')}/mail/`) || file.path.includes('/mail/')).toBe(
      true,
    );
    expect(file.content).toMatch(/^From: lms@example\.org|^From: no-reply@lms\.local/m);
    expect(file.content).toMatch(/^To: alan@example\.com$/m);
    expect(file.content).toMatch(new RegExp(`^Subject: ${subject}$`, 'm'));
    expect(file.content).toContain('Use this link');
  });
});
