import { randomUUID } from 'node:crypto';
import { close, createReadStream, createWriteStream, fstat, open as openCallback, type Dirent } from 'node:fs';
import { mkdir, open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { dirname, join, sep } from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { dataPath, type AppConfig } from '#core';
import {
  FileNotInStorageError,
  type ByteRange,
  type FileStorage,
  type ListPage,
  type PutOptions,
  type StoredObject,
} from './file-storage.js';
import { MeteringTransform } from './metering-transform.js';
import { assertValidKey, assertValidRange, TEMP_PREFIX } from './storage-key.js';

/** The errno code of a Node error (checked structurally: errors may come from another realm). */
function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string'
    ? error.code
    : undefined;
}

/**
 * Buffered bytes of the temporary file's write stream before it pushes back: queued chunks are written
 * together (one writev), so the disk write overlaps receiving and hashing the next chunks.
 */
const WRITE_HIGH_WATER_MARK = 1024 * 1024;

/**
 * Bytes per read of a download (fs streams default to 64 KB): fewer reads, chunks and socket writes
 * per MB sent, for a bounded buffer per response.
 */
const READ_HIGH_WATER_MARK = 1024 * 1024;

/** Resolves once the stream has emitted 'close' (its descriptor closed, no write in flight). */
function closedOf(stream: Writable): Promise<void> {
  return stream.closed ? Promise.resolve() : new Promise((resolve) => stream.once('close', () => resolve()));
}

async function fsyncDirectory(path: string): Promise<void> {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Objects as files under one root directory (UPLOAD_DIR, relative paths resolved under DATA_DIR):
 * key `uploads/<uuid>.pdf` is the file `<root>/uploads/<uuid>.pdf`.
 *
 * put writes to `<root>/.tmp/<uuid>` (same file system, so the final rename is atomic), hashing and
 * counting on the way, fsyncs the file, renames it to its key and fsyncs the directory; any failure
 * removes the temporary file and leaves nothing under the key.
 *
 * listOlderThan also reports temporary files (`.tmp/<uuid>`) older than the cutoff: they are what a
 * crash in the middle of a put leaves, and the orphan sweep removes them with delete() like any other
 * unreferenced key. The cutoff must therefore be well beyond the longest upload.
 */
export class LocalFileStorage implements FileStorage {
  readonly provider = 'local';
  readonly root: string;
  private readonly tempDir: string;

  constructor(root: string) {
    this.root = root;
    this.tempDir = join(root, TEMP_PREFIX);
  }

  static fromConfig(config: AppConfig): LocalFileStorage {
    return new LocalFileStorage(dataPath(config, config.UPLOAD_DIR));
  }

  /** Creates the root and temporary directories. */
  async init(): Promise<void> {
    await mkdir(this.tempDir, { recursive: true });
  }

  private pathOf(key: string): string {
    return join(this.root, ...key.split('/'));
  }

  async put(key: string, source: Readable, options: PutOptions): Promise<StoredObject> {
    try {
      assertValidKey(key);
    } catch (error) {
      source.destroy();
      throw error;
    }
    const target = this.pathOf(key);
    const temp = join(this.tempDir, randomUUID());
    const meter = new MeteringTransform(options.onProgress);
    let renamed = false;
    try {
      await mkdir(this.tempDir, { recursive: true });
      // The descriptor is opened here (not by the stream), so the temporary file exists before any
      // failure path can unlink it. The stream owns it from then on: `flush` fsyncs it before it is
      // closed, and pipeline() settles only after that close (or with the write/fsync/close error).
      const fd = await openFd(temp, 'wx', 0o640);
      const out = createWriteStream('', { fd, flush: true, highWaterMark: WRITE_HIGH_WATER_MARK });
      try {
        await pipeline(source, meter, out);
      } catch (error) {
        out.destroy();
        await closedOf(out); // no write still in flight on the descriptor when the temporary file goes
        throw error;
      }
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
      renamed = true;
      await fsyncDirectory(dirname(target));
      return { key, size: meter.size, sha256: meter.digest() };
    } catch (error) {
      source.destroy();
      await unlink(renamed ? target : temp).catch((e: unknown) => {
        if (errorCode(e) !== 'ENOENT') throw e;
      });
      throw error;
    }
  }

  async get(key: string, range?: ByteRange): Promise<Readable> {
    assertValidKey(key);
    if (range) assertValidRange(range);
    // Opened first, so a missing object is FileNotInStorageError rather than a stream error; the open
    // descriptor keeps the bytes readable even if the file is deleted meanwhile.
    let fd: number;
    try {
      fd = await openFd(this.pathOf(key), 'r');
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') throw new FileNotInStorageError(key);
      throw error;
    }
    try {
      const info = await fstatFd(fd);
      if (!info.isFile()) throw new FileNotInStorageError(key);
      if (range && range.start >= info.size) {
        throw new RangeError(`Range ${range.start}-${range.end} starts beyond the object's ${info.size} bytes`);
      }
    } catch (error) {
      await closeFd(fd);
      throw error;
    }
    return createReadStream('', {
      fd,
      autoClose: true,
      highWaterMark: READ_HIGH_WATER_MARK,
      ...(range ? { start: range.start, end: range.end } : {}),
    });
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key, { allowTemp: true });
    try {
      await unlink(this.pathOf(key));
    } catch (error) {
      const code = errorCode(error);
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw error;
    }
  }

  async exists(key: string): Promise<boolean> {
    assertValidKey(key, { allowTemp: true });
    try {
      return (await stat(this.pathOf(key))).isFile();
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return false;
      throw error;
    }
  }

  /**
   * Walks the tree in key order (directory entries sorted as their keys sort: a directory as
   * "<name>/"), skipping whatever sorts at or before the cursor; the cursor is the last key returned.
   */
  async listOlderThan(olderThan: Date, limit: number, cursor?: string): Promise<ListPage> {
    const keys: string[] = [];
    if (limit <= 0) return cursor === undefined ? { keys } : { keys, cursor };
    const cutoff = olderThan.getTime();
    let full = false;
    const walk = async (dir: string, prefix: string): Promise<void> => {
      let names: Dirent[];
      try {
        names = await readdir(dir, { withFileTypes: true });
      } catch (error) {
        const code = errorCode(error);
        if (code === 'ENOENT' || code === 'ENOTDIR') return; // removed meanwhile
        throw error;
      }
      const entries = names
        .filter((e) => e.isDirectory() || e.isFile())
        .map((e) => ({ entry: e, key: `${prefix}${e.name}${e.isDirectory() ? '/' : ''}` }))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const { entry, key } of entries) {
        if (full) return;
        const path = join(dir, entry.name);
        if (entry.isDirectory()) {
          // Every key under "<key>" sorts at or before the cursor: skip the subtree.
          if (cursor !== undefined && cursor > key && !cursor.startsWith(key)) continue;
          await walk(path, key);
          continue;
        }
        if (cursor !== undefined && key <= cursor) continue;
        try {
          if ((await stat(path)).mtimeMs < cutoff) keys.push(key);
        } catch (error) {
          if (errorCode(error) !== 'ENOENT') throw error; // removed meanwhile
        }
        if (keys.length >= limit) full = true;
      }
    };
    await walk(this.root.endsWith(sep) ? this.root.slice(0, -1) : this.root, '');
    const last = keys[keys.length - 1];
    return full && last !== undefined ? { keys, cursor: last } : { keys };
  }

  presignedReadUrl(): Promise<string | null> {
    return Promise.resolve(null);
  }
}

const openFd = promisify(openCallback);
const fstatFd = promisify(fstat);
const closeFd = promisify(close);
