import { EmailService } from '#notifications';
import { createTestApp, startTestSmtpServer, type TestApp, type TestSmtpServer } from '#testing';
import { mailFiles, uniqueSubject, until } from './queue-test-utils.js';

describe('send-email over SMTP', () => {
  let smtp: TestSmtpServer;
  let t: TestApp;

  beforeAll(async () => {
    smtp = await startTestSmtpServer();
    t = await createTestApp({ workers: true, env: { ...smtp.env, EMAIL_FROM: 'lms@example.org' } });
  });

  afterAll(async () => {
    await t?.close();
    await smtp?.close();
  });

  it('delivers a queued email to the SMTP server (and writes no file)', async () => {
    const subject = uniqueSubject('Your certificate');
    await t.app
      .get(EmailService)
      .queue({ to: 'grace@example.com', subject, text: 'Plain body', html: '<p>HTML body</p>' });
    const msg = await until('the SMTP server to receive it', () => smtp.messages.find((m) => m.raw.includes(subject)));
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
