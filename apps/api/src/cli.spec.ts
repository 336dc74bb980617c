import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCreateAdmin, USAGE } from './cli.js';

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

/** Splits a shell command line: words, 'single' and "double" quoted strings (what the README uses). */
function shellWords(line: string): string[] {
  return [...line.matchAll(/'([^']*)'|"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? '');
}

describe('the README', () => {
  it('shows create-admin command lines that work when copied', () => {
    const readme = readFileSync(join(process.cwd(), 'README.md'), 'utf8');
    const commands = readme
      .split('\n')
      .map((l) => l.replace(/\s+#.*$/, '').trim())
      .filter((l) => /^npm run (-s )?cli -- create-admin /.test(l));
    expect(commands.length).toBeGreaterThan(0);
    for (const command of commands) {
      const words = shellWords(command);
      const args = words.slice(words.indexOf('create-admin') + 1);
      expect({ command, parsed: parseCreateAdmin(args) }).toEqual({
        command,
        parsed: expect.objectContaining({ email: 'you@example.com' }),
      });
    }
  });

  it('lists the options the CLI accepts, as its help does', () => {
    for (const option of ['--email', '--password', '--name', '--promote']) {
      expect(USAGE).toContain(option);
    }
    expect(readFileSync(join(process.cwd(), 'README.md'), 'utf8')).toContain('npm run cli -- help');
  });
});
