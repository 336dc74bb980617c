import { parseCreateAdmin } from './cli.js';

describe('parseCreateAdmin', () => {
  it('normalizes the email and defaults the name', () => {
    expect(parseCreateAdmin(['--email', ' Admin@Example.COM ', '--password', '12345678'])).toEqual({
      email: 'admin@example.com',
      password: '12345678',
      fullName: 'Administrator',
      promote: false,
    });
  });

  it('accepts --name and --promote', () => {
    expect(
      parseCreateAdmin(['--email', 'a@b.io', '--password', 'x'.repeat(128), '--name', ' Ada L ', '--promote']),
    ).toMatchObject({ fullName: 'Ada L', promote: true });
  });

  it.each([
    [[], '--email is required'],
    [['--email', 'a@b', '--password', '12345678'], 'not a valid email'],
    [['--email', 'a@b.io', '--password', '1234567'], '8-128'],
    [['--email', 'a@b.io', '--password', '12345678', 'extra'], 'Unexpected argument'],
    [['--email', 'a@b.io', '--password', '12345678', '--admin'], "Unknown option '--admin'"],
  ])('rejects %j', (args, message) => {
    const result = parseCreateAdmin(args);
    expect(typeof result).toBe('string');
    expect(result as string).toContain(message);
  });
});
