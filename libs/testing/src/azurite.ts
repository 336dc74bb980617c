import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** The well-known development account every Azurite accepts. */
export const AZURITE_ACCOUNT_NAME = 'devstoreaccount1';
export const AZURITE_ACCOUNT_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface TestAzurite {
  connectionString: string;
  accountName: string;
  accountKey: string;
  /** http://127.0.0.1:<port>/devstoreaccount1 */
  blobEndpoint: string;
  /** Stops the Azurite process this call started and waits for it to exit. */
  stop(): Promise<void>;
}

const START_DEADLINE_MS = 20_000;
const STOP_DEADLINE_MS = 5_000;
const LISTENING = /successfully listens on https?:\/\/[^:\s]+:(\d+)/;

function azuriteBlobEntry(): string {
  const require = createRequire(import.meta.url);
  // The "azurite-blob" bin of the azurite package (package.json "bin").
  const pkgJson = require.resolve('azurite/package.json', { paths: [process.cwd()] });
  return join(dirname(pkgJson), 'dist', 'src', 'blob', 'main.js');
}

function waitForExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/**
 * A real Azurite blob service (the `azurite-blob` entry of the azurite package, run by this Node)
 * on 127.0.0.1 with a port the OS picks, in-memory persistence, silent. Resolves once Azurite
 * reports that it listens (read from its stdout: no port guessing, no race).
 */
export async function startAzurite(): Promise<TestAzurite> {
  const workspace = mkdtempSync(join(tmpdir(), 'lms-azurite-'));
  const child = spawn(
    process.execPath,
    [
      azuriteBlobEntry(),
      '--blobHost',
      '127.0.0.1',
      '--blobPort',
      '0',
      '--inMemoryPersistence',
      '--skipApiVersionCheck',
      '--loose',
      '--silent',
      '--disableTelemetry',
    ],
    { cwd: workspace, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } },
  );
  const exited = waitForExit(child);

  const stopChild = async (): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_DEADLINE_MS);
      await exited;
      clearTimeout(timer);
    }
    rmSync(workspace, { recursive: true, force: true });
  };

  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) => {
      let output = '';
      const onData = (chunk: Buffer): void => {
        output += chunk.toString('utf8');
        const match = LISTENING.exec(output);
        if (match) {
          cleanup();
          resolve(Number(match[1]));
        }
      };
      const onExit = (code: number | null, signal: string | null): void => {
        cleanup();
        reject(new Error(`Azurite exited before listening (code ${code}, signal ${signal}): ${output.trim()}`));
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`Azurite did not listen within ${START_DEADLINE_MS} ms: ${output.trim()}`));
      }, START_DEADLINE_MS);
      const cleanup = (): void => {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stderr?.off('data', onData);
        child.off('exit', onExit);
      };
      child.stdout?.on('data', onData);
      child.stderr?.on('data', onData);
      child.once('exit', onExit);
    });
  } catch (error) {
    await stopChild();
    throw error;
  }
  // Keep draining its output so the pipes never fill up.
  child.stdout?.resume();
  child.stderr?.resume();

  const blobEndpoint = `http://127.0.0.1:${port}/${AZURITE_ACCOUNT_NAME}`;
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${AZURITE_ACCOUNT_NAME};` +
      `AccountKey=${AZURITE_ACCOUNT_KEY};BlobEndpoint=${blobEndpoint};`,
    accountName: AZURITE_ACCOUNT_NAME,
    accountKey: AZURITE_ACCOUNT_KEY,
    blobEndpoint,
    stop: stopChild,
  };
}
