import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/**
 * A compiled copy of the application in a directory of its own (SWC, as `npm run build`, but not
 * into the shared dist/ that other test files and `npm start` rebuild): its package.json (the `#…`
 * imports), dist/, and node_modules linked to the project's. For tests that run real worker
 * processes and kill them.
 */
export interface PrivateBuild {
  root: string;
  remove(): void;
}

export function buildPrivateDist(): PrivateBuild {
  const root = mkdtempSync(join(tmpdir(), 'lms-build-'));
  const swc = spawnSync(
    join(ROOT, 'node_modules/.bin/swc'),
    ['apps', 'libs', 'migrations', '-d', join(root, 'dist'), '-q', '--ignore', '**/*.spec.ts'],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (swc.status !== 0) throw new Error(`swc failed: ${swc.stderr || swc.stdout}`);
  writeFileSync(join(root, 'package.json'), readFileSync(join(ROOT, 'package.json')));
  symlinkSync(join(ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
  return { root, remove: () => rmSync(root, { recursive: true, force: true }) };
}

/** A worker process (dist/apps/worker/src/main.js of a private build) on the given environment. */
export interface WorkerProcess {
  child: ChildProcess;
  output(): string;
  /** SIGKILL (no shutdown, no job clean-up: what a crash or an OOM kill does) and wait for the exit. */
  kill(): Promise<void>;
}

export function spawnWorkerProcess(build: PrivateBuild, env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ['--enable-source-maps', join(build.root, 'dist/apps/worker/src/main.js')], {
    cwd: build.root,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  child.stderr?.on('data', (c: Buffer) => (out += c.toString('utf8')));
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  return {
    child,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}
