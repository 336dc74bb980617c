import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { AppConfig } from '#core';
import { startAzurite, testConfig, type TestAzurite } from '#testing';
import { AzureBlobFileStorage } from './azure-blob-file-storage.js';
import { FileNotInStorageError, type FileStorage } from './file-storage.js';
import { createFileStorage } from './file-storage.factory.js';
import { LocalFileStorage } from './local-file-storage.js';
import { InvalidStorageKeyError } from './storage-key.js';

interface Harness {
  storage: FileStorage;
  /** Whatever the provider physically holds for `key`, plus any temporary data, after a put failed. */
  leftovers(key: string): Promise<string[]>;
  close(): Promise<void>;
}

async function localHarness(): Promise<Harness> {
  const config: AppConfig = testConfig({ FILE_STORAGE_PROVIDER: 'local' });
  const storage = await createFileStorage(config);
  if (!(storage instanceof LocalFileStorage)) throw new Error('expected the local provider');
  const tempDir = join(storage.root, '.tmp');
  return {
    storage,
    leftovers: async (key) => [
      ...(await readdir(tempDir)).map((name) => `.tmp/${name}`),
      ...((await storage.exists(key)) ? [key] : []),
    ],
    close: () => rm(config.DATA_DIR, { recursive: true, force: true }),
  };
}

async function azureHarness(): Promise<Harness> {
  const azurite: TestAzurite = await startAzurite();
  try {
    const config = testConfig({
      FILE_STORAGE_PROVIDER: 'azure',
      AZURE_STORAGE_CONNECTION_STRING: azurite.connectionString,
      AZURE_STORAGE_CONTAINER_NAME: 'files-test',
    });
    const storage = await createFileStorage(config);
    if (!(storage instanceof AzureBlobFileStorage)) throw new Error('expected the azure provider');
    return {
      storage,
      leftovers: async (key) => {
        const names: string[] = [];
        for await (const blob of storage.container.listBlobsFlat({ prefix: key })) names.push(blob.name);
        return names;
      },
      close: async () => {
        await azurite.stop();
        await rm(config.DATA_DIR, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await azurite.stop();
    throw error;
  }
}

async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks);
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

const CHUNK = randomBytes(64 * 1024);

/**
 * A stream of `total` bytes, 64 KiB chunks made as it is read (optionally failing after
 * `failAfter` bytes). Every chunk is the same buffer, so the stream itself allocates nothing and a
 * memory measurement sees only what the storage holds.
 */
function generated(total: number, failAfter?: number): Readable {
  let sent = 0;
  return new Readable({
    read() {
      if (failAfter !== undefined && sent >= failAfter) {
        this.destroy(new Error('source broke'));
        return;
      }
      if (sent >= total) {
        this.push(null);
        return;
      }
      const size = Math.min(CHUNK.length, total - sent);
      sent += size;
      this.push(size === CHUNK.length ? CHUNK : CHUNK.subarray(0, size));
    },
  });
}

function generatedSha256(total: number): string {
  const hash = createHash('sha256');
  for (let sent = 0; sent < total; sent += CHUNK.length)
    hash.update(CHUNK.subarray(0, Math.min(CHUNK.length, total - sent)));
  return hash.digest('hex');
}

const newKey = (ext = 'bin'): string => `uploads/${randomUUID()}.${ext}`;

describe.each([
  ['local', localHarness],
  ['azure', azureHarness],
])('FileStorage (%s)', (provider, makeHarness) => {
  let harness: Harness;
  let storage: FileStorage;

  beforeAll(async () => {
    harness = await makeHarness();
    storage = harness.storage;
  });
  afterAll(async () => {
    await harness?.close();
  });

  it('reports its provider', () => {
    expect(storage.provider).toBe(provider);
  });

  it('round-trips bytes with their size and SHA-256', async () => {
    const data = randomBytes(300_000);
    const key = newKey('pdf');
    const stored = await storage.put(key, Readable.from([data.subarray(0, 1000), data.subarray(1000)]), {
      contentType: 'application/pdf',
    });
    expect(stored).toEqual({ key, size: data.length, sha256: sha256(data) });
    expect(await storage.exists(key)).toBe(true);
    expect((await readAll(await storage.get(key))).equals(data)).toBe(true);
  });

  it('stores an empty object', async () => {
    const key = newKey();
    const stored = await storage.put(key, Readable.from([]), { contentType: 'text/plain' });
    expect(stored).toEqual({ key, size: 0, sha256: sha256(Buffer.alloc(0)) });
    expect((await readAll(await storage.get(key))).length).toBe(0);
  });

  it('reads inclusive byte ranges', async () => {
    const data = randomBytes(1000);
    const key = newKey();
    await storage.put(key, Readable.from([data]), { contentType: 'application/octet-stream' });
    const range = async (start: number, end: number): Promise<Buffer> =>
      readAll(await storage.get(key, { start, end }));
    expect((await range(0, 9)).equals(data.subarray(0, 10))).toBe(true);
    expect((await range(100, 199)).equals(data.subarray(100, 200))).toBe(true);
    expect((await range(999, 999)).equals(data.subarray(999))).toBe(true);
    expect((await range(990, 5000)).equals(data.subarray(990))).toBe(true);
    await expect(storage.get(key, { start: 1000, end: 1001 })).rejects.toThrow(RangeError);
    await expect(storage.get(key, { start: 5, end: 4 })).rejects.toThrow(RangeError);
  });

  it('rejects a missing key with FileNotInStorageError', async () => {
    const key = newKey();
    await expect(storage.get(key)).rejects.toBeInstanceOf(FileNotInStorageError);
    await expect(storage.get(key, { start: 0, end: 1 })).rejects.toBeInstanceOf(FileNotInStorageError);
    expect(await storage.exists(key)).toBe(false);
  });

  it('leaves nothing when onProgress throws mid-stream', async () => {
    const key = newKey();
    const limit = 1024 * 1024;
    const tooBig = new Error('over the limit');
    let reads = 0;
    const source = generated(20 * 1024 * 1024);
    const put = storage.put(key, source, {
      contentType: 'application/octet-stream',
      onProgress: (bytes) => {
        reads++;
        if (bytes > limit) throw tooBig;
      },
    });
    await expect(put).rejects.toBe(tooBig);
    expect(reads).toBe(limit / (64 * 1024) + 1);
    expect(source.destroyed).toBe(true);
    expect(await harness.leftovers(key)).toEqual([]);
    expect(await storage.exists(key)).toBe(false);
    await expect(storage.get(key)).rejects.toBeInstanceOf(FileNotInStorageError);
  });

  it('leaves nothing when the source fails mid-way', async () => {
    const key = newKey();
    await expect(
      storage.put(key, generated(10 * 1024 * 1024, 5 * 1024 * 1024), { contentType: 'application/octet-stream' }),
    ).rejects.toThrow('source broke');
    expect(await harness.leftovers(key)).toEqual([]);
    expect(await storage.exists(key)).toBe(false);
    await expect(storage.get(key)).rejects.toBeInstanceOf(FileNotInStorageError);
  });

  it('deletes idempotently', async () => {
    const key = newKey();
    await storage.put(key, Readable.from([Buffer.from('bye')]), { contentType: 'text/plain' });
    await storage.delete(key);
    expect(await storage.exists(key)).toBe(false);
    await expect(storage.get(key)).rejects.toBeInstanceOf(FileNotInStorageError);
    await storage.delete(key);
    await storage.delete(newKey());
  });

  it('lists objects last modified before a cutoff, up to a limit', async () => {
    const keys = [newKey(), newKey(), newKey()];
    for (const key of keys) await storage.put(key, Readable.from([Buffer.from(key)]), { contentType: 'text/plain' });
    const later = new Date(Date.now() + 60_000);
    const earlier = new Date(Date.now() - 60_000);
    expect((await storage.listOlderThan(later, 10_000)).keys).toEqual(expect.arrayContaining(keys));
    expect(await storage.listOlderThan(earlier, 10_000)).toEqual({ keys: [] });
    expect((await storage.listOlderThan(later, 2)).keys).toHaveLength(2);
    expect((await storage.listOlderThan(later, 0)).keys).toEqual([]);
  });

  it('pages through every object in key order with a cursor', async () => {
    const keys = [newKey(), newKey(), newKey(), newKey(), newKey()];
    for (const key of keys) await storage.put(key, Readable.from([Buffer.from(key)]), { contentType: 'text/plain' });
    const later = new Date(Date.now() + 60_000);
    const seen: string[] = [];
    let cursor: string | undefined;
    let pages = 0;
    do {
      const page = await storage.listOlderThan(later, 2, cursor);
      expect(page.keys.length).toBeLessThanOrEqual(2);
      seen.push(...page.keys);
      cursor = page.cursor;
      pages += 1;
    } while (cursor !== undefined && pages < 100);
    expect(cursor).toBeUndefined();
    expect(seen).toEqual(expect.arrayContaining(keys));
    expect(seen).toEqual([...seen].sort());
    expect(new Set(seen).size).toBe(seen.length);
    expect(pages).toBeGreaterThanOrEqual(3);
  });

  it('refuses bad keys', async () => {
    const bad = [
      '',
      '../etc/passwd',
      'uploads/../../x',
      '/etc/passwd',
      'uploads\\x.pdf',
      'uploads/a\0b',
      'a//b',
      './a',
    ];
    for (const key of bad) {
      await expect(storage.put(key, Readable.from([Buffer.from('x')]), { contentType: 'text/plain' })).rejects.toThrow(
        InvalidStorageKeyError,
      );
      await expect(storage.get(key)).rejects.toThrow(InvalidStorageKeyError);
      await expect(storage.delete(key)).rejects.toThrow(InvalidStorageKeyError);
    }
    await expect(
      storage.put('.tmp/x', Readable.from([Buffer.from('x')]), { contentType: 'text/plain' }),
    ).rejects.toThrow(InvalidStorageKeyError);
  });

  it('streams a 64 MB put without buffering it', async () => {
    const total = 64 * 1024 * 1024;
    const key = newKey();
    const before = process.memoryUsage.rss();
    let peak = before;
    const stored = await storage.put(key, generated(total), {
      contentType: 'application/octet-stream',
      onProgress: () => {
        peak = Math.max(peak, process.memoryUsage.rss());
      },
    });
    expect(stored.size).toBe(total);
    expect(stored.sha256).toBe(generatedSha256(total));
    expect(peak - before).toBeLessThan(48 * 1024 * 1024);
    await storage.delete(key);
  });
});

describe('LocalFileStorage specifics', () => {
  let config: AppConfig;
  let storage: LocalFileStorage;

  beforeAll(async () => {
    config = testConfig({ FILE_STORAGE_PROVIDER: 'local', UPLOAD_DIR: 'files' });
    storage = LocalFileStorage.fromConfig(config);
    await storage.init();
  });
  afterAll(() => rm(config.DATA_DIR, { recursive: true, force: true }));

  it('keeps objects under UPLOAD_DIR inside DATA_DIR, at their key', async () => {
    expect(storage.root).toBe(join(config.DATA_DIR, 'files'));
    const key = newKey('txt');
    await storage.put(key, Readable.from([Buffer.from('hello')]), { contentType: 'text/plain' });
    expect(await readdir(join(config.DATA_DIR, 'files', 'uploads'))).toEqual([key.slice('uploads/'.length)]);
    expect(await storage.presignedReadUrl()).toBeNull();
  });

  it('reports stale temporary files to the sweep, which can delete them', async () => {
    const stale = join(storage.root, '.tmp', randomUUID());
    const fresh = join(storage.root, '.tmp', randomUUID());
    await writeFile(stale, 'half an upload');
    await writeFile(fresh, 'an upload in progress');
    const hourAgo = new Date(Date.now() - 3_600_000);
    await utimes(stale, hourAgo, hourAgo);
    const { keys: listed } = await storage.listOlderThan(new Date(Date.now() - 60_000), 100);
    const staleKey = `.tmp/${stale.slice(stale.lastIndexOf('/') + 1)}`;
    expect(listed).toEqual([staleKey]);
    await storage.delete(staleKey);
    expect(await storage.exists(staleKey)).toBe(false);
    await expect(storage.get(staleKey)).rejects.toThrow(InvalidStorageKeyError);
  });

  it('uses an absolute UPLOAD_DIR as is', async () => {
    const root = join(config.DATA_DIR, 'elsewhere');
    await mkdir(root);
    const other = LocalFileStorage.fromConfig(testConfig({ DATA_DIR: config.DATA_DIR, UPLOAD_DIR: root }));
    expect(other.root).toBe(root);
  });
});

describe('AzureBlobFileStorage specifics', () => {
  let azurite: TestAzurite;
  let storage: AzureBlobFileStorage;
  const data = randomBytes(5000);
  const key = newKey('pdf');

  beforeAll(async () => {
    azurite = await startAzurite();
    storage = AzureBlobFileStorage.fromConfig(
      testConfig({
        FILE_STORAGE_PROVIDER: 'azure',
        AZURE_STORAGE_ACCOUNT_URL: `${azurite.blobEndpoint}`,
        AZURE_STORAGE_ACCOUNT_NAME: azurite.accountName,
        AZURE_STORAGE_ACCOUNT_KEY: azurite.accountKey,
        AZURE_STORAGE_CONTAINER_NAME: 'sas-test',
      }),
    );
    await storage.init();
    await storage.put(key, Readable.from([data]), { contentType: 'application/pdf' });
  });
  afterAll(async () => {
    await azurite?.stop();
  });

  it('records the content type on the blob', async () => {
    const properties = await storage.container.getBlobClient(key).getProperties();
    expect(properties.contentType).toBe('application/pdf');
  });

  it('signs a read-only URL that plain fetch can use, with the response headers given', async () => {
    const disposition = 'attachment; filename="report.pdf"';
    const url = await storage.presignedReadUrl(key, new Date(Date.now() + 5 * 60_000), {
      contentDisposition: disposition,
      contentType: 'application/pdf',
    });
    expect(url).toEqual(expect.stringContaining('sig='));
    const response = await fetch(url!);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe(disposition);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(Buffer.from(await response.arrayBuffer()).equals(data)).toBe(true);

    const write = await fetch(url!, { method: 'PUT', headers: { 'x-ms-blob-type': 'BlockBlob' }, body: 'overwritten' });
    expect(write.status).toBe(403);
    await write.arrayBuffer();
  });

  it('refuses an expired SAS with 403', async () => {
    const url = await storage.presignedReadUrl(key, new Date(Date.now() - 10_000), {
      contentDisposition: 'attachment',
      contentType: 'application/pdf',
    });
    const response = await fetch(url!);
    expect(response.status).toBe(403);
    await response.arrayBuffer();
  });

  it('refuses a tampered SAS with 403', async () => {
    const url = await storage.presignedReadUrl(key, new Date(Date.now() + 60_000), {
      contentDisposition: 'attachment',
      contentType: 'application/pdf',
    });
    const response = await fetch(url!.replace('rscd=attachment', 'rscd=inline'));
    expect(response.status).toBe(403);
    await response.arrayBuffer();
  });
});
