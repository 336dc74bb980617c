import { randomBytes } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import { Global, Module } from '@nestjs/common';
import { ContainerClient } from '@azure/storage-blob';
import { dataPath } from '#core';
import {
  FILE_STORAGE_WRAPPER,
  type ByteRange,
  type FileStorage,
  type FileStorageWrapper,
  type ListPage,
  type PutOptions,
  type StoredObject,
} from '#files';
import { createTestApp, startAzurite, type TestApp, type TestAppOptions, type TestAzurite } from '#testing';

export type Provider = 'local' | 'azure';

/** The container the Azure runs use. */
export const CONTAINER = 'lms-files-test';

// ── Sample bytes (real magic numbers, as file-type reads them) ──────────────────────────────
/** A 1×1 PNG. */
export const PNG = Buffer.from(
  '89504e470d0a1a0a0000000d4948445200000001000000010806000000' +
    '1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082',
  'hex',
);
export const PDF = Buffer.from('%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n');
export const JPEG = Buffer.concat([
  Buffer.from('ffd8ffe000104a46494600010100000100010000', 'hex'),
  randomBytes(64),
  Buffer.from('ffd9', 'hex'),
]);
export const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
export const HTML = Buffer.from('<!doctype html><html><script>alert(1)</script></html>');

/** A PNG of exactly `size` bytes (a valid signature, then padding). */
export function pngOfSize(size: number): Buffer {
  const out = Buffer.alloc(size, 0x61);
  PNG.copy(out, 0, 0, Math.min(PNG.length, size));
  return out;
}

/** A PNG that is also an HTML page with a script (a polyglot: valid PNG magic, then markup). */
export const PNG_HTML_POLYGLOT = Buffer.concat([PNG, HTML]);
/** GIFAR-like: a GIF header followed by a ZIP (JAR) archive. */
export const GIFAR = Buffer.concat([
  Buffer.from('474946383961010001000000002c00000000010001000002003b', 'hex'),
  Buffer.from('504b0304140000000000000000000000000000000000000000000800000061626364', 'hex'),
  Buffer.from('504b0506000000000000000000000000000000000000', 'hex'),
]);

// ── Fault injection at the FileStorage seam ──────────────────────────────────────────────────
/**
 * Delegates to the real storage; when `failPutAfterBytes` is set, the bytes a put sends to the real
 * storage fail once more than that many have passed (a storage error in the middle of the stream).
 * `puts` records every key a put completed under.
 */
export class FaultyStorage implements FileStorage {
  failPutAfterBytes?: number;
  readonly puts: string[] = [];

  constructor(readonly inner: FileStorage) {}

  get provider(): 'local' | 'azure' {
    return this.inner.provider;
  }

  async put(key: string, source: Readable, options: PutOptions): Promise<StoredObject> {
    const limit = this.failPutAfterBytes;
    let body = source;
    if (limit !== undefined) {
      let seen = 0;
      const faulty = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          seen += chunk.length;
          if (seen > limit) callback(new Error(`injected storage failure after ${limit} bytes`));
          else callback(null, chunk);
        },
      });
      body = pipeline(source, faulty, () => undefined);
    }
    const stored = await this.inner.put(key, body, options);
    this.puts.push(stored.key);
    return stored;
  }

  get(key: string, range?: ByteRange): Promise<Readable> {
    return this.inner.get(key, range);
  }

  delete(key: string): Promise<void> {
    return this.inner.delete(key);
  }

  exists(key: string): Promise<boolean> {
    return this.inner.exists(key);
  }

  listOlderThan(olderThan: Date, limit: number, cursor?: string): Promise<ListPage> {
    return this.inner.listOlderThan(olderThan, limit, cursor);
  }

  presignedReadUrl(
    key: string,
    expiresAt: Date,
    response: { contentDisposition: string; contentType: string },
  ): Promise<string | null> {
    return this.inner.presignedReadUrl(key, expiresAt, response);
  }
}

/** A global test module wrapping the app's FileStorage in a FaultyStorage (read it from `faults.storage`). */
export function faultInjection(): { module: new () => object; faults: { storage?: FaultyStorage } } {
  const faults: { storage?: FaultyStorage } = {};
  const wrap: FileStorageWrapper = (storage) => (faults.storage = new FaultyStorage(storage));
  @Global()
  @Module({ providers: [{ provide: FILE_STORAGE_WRAPPER, useValue: wrap }], exports: [FILE_STORAGE_WRAPPER] })
  class FileStorageFaultModule {}
  return { module: FileStorageFaultModule, faults };
}

// ── Multipart ─────────────────────────────────────────────────────────────────────────────────
export interface UploadSpec {
  /** The part's filename parameter, written as given (bytes included). */
  name?: string;
  bytes?: Buffer;
  fields?: Record<string, string>;
  /** Fields written after the file part. */
  fieldsAfter?: Record<string, string>;
  contentType?: string;
}

/** A multipart/form-data body written by hand, so file names reach the server byte for byte. */
export function multipartBody(spec: UploadSpec): { body: Buffer; contentType: string } {
  const boundary = `----lms${randomBytes(8).toString('hex')}`;
  const chunks: Buffer[] = [];
  const field = (name: string, value: string): void => {
    chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`));
  };
  for (const [k, v] of Object.entries(spec.fields ?? {})) field(k, v);
  if (spec.bytes !== undefined) {
    chunks.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${spec.name ?? 'file.png'}"\r\n` +
          `Content-Type: ${spec.contentType ?? 'application/octet-stream'}\r\n\r\n`,
        'utf8',
      ),
      spec.bytes,
      Buffer.from('\r\n'),
    );
  }
  for (const [k, v] of Object.entries(spec.fieldsAfter ?? {})) field(k, v);
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}

export interface UploadResult {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function upload(
  t: TestApp,
  token: string | undefined,
  spec: UploadSpec,
  headers: Record<string, string> = {},
): Promise<UploadResult> {
  const { body, contentType } = multipartBody(spec);
  const res = await t.request('/api/v1/files/upload', {
    method: 'POST',
    headers: { 'content-type': contentType, ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body,
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {}, headers: res.headers };
}

/** A successful upload's FileResponse (fails the test otherwise). */
export async function uploaded(t: TestApp, token: string, spec: UploadSpec): Promise<Record<string, unknown>> {
  const res = await upload(t, token, spec);
  if (res.status !== 201) throw new Error(`upload failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

// ── The app on either provider, and what it stored ───────────────────────────────────────────
export interface FilesHarness {
  t: TestApp;
  provider: Provider;
  /** Every stored object key (temporary files included), sorted. */
  storedKeys(): Promise<string[]>;
  rowCount(): Promise<number>;
  eventCount(type?: string): Promise<number>;
  close(): Promise<void>;
}

function walk(root: string): string[] {
  const out: string[] = [];
  const visit = (dir: string): void => {
    let entries: string[];
    try {
      entries = readdirSync(dir);
    } catch {
      return;
    }
    for (const name of entries) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) visit(path);
      else out.push(relative(root, path).split('\\').join('/'));
    }
  };
  visit(root);
  return out.sort();
}

let azurite: TestAzurite | undefined;

/** Starts the API with `provider` storage (Azure: a real Azurite started once per test file). */
export async function startFilesApp(provider: Provider, opts: TestAppOptions = {}): Promise<FilesHarness> {
  let container: ContainerClient | undefined;
  const env: Record<string, string | undefined> = { ...opts.env };
  if (provider === 'azure') {
    azurite ??= await startAzurite();
    env.FILE_STORAGE_PROVIDER = 'azure';
    env.AZURE_STORAGE_CONNECTION_STRING = azurite.connectionString;
    env.AZURE_STORAGE_CONTAINER_NAME = CONTAINER;
    container = new ContainerClient(azurite.connectionString, CONTAINER);
  }
  const t = await createTestApp({ ...opts, env });
  const storedKeys = async (): Promise<string[]> => {
    if (!container) return walk(dataPath(t.config, t.config.UPLOAD_DIR));
    const keys: string[] = [];
    for await (const blob of container.listBlobsFlat()) keys.push(blob.name);
    return keys.sort();
  };
  return {
    t,
    provider,
    storedKeys,
    rowCount: async () => Number((await t.db.query<{ n: string }>('SELECT count(*) AS n FROM files'))[0]?.n),
    eventCount: async (type = 'file.deleted') =>
      Number(
        (await t.db.query<{ n: string }>('SELECT count(*) AS n FROM outbox_events WHERE event_type = $1', [type]))[0]
          ?.n,
      ),
    async close() {
      if (container) await container.deleteIfExists();
      await t.close();
    },
  };
}

/** Stops the Azurite of this test file, if one was started. */
export async function stopAzurite(): Promise<void> {
  await azurite?.stop();
  azurite = undefined;
}

export const PROVIDERS: Provider[] = ['local', 'azure'];
