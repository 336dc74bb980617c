import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/** The thrown value as an Error (structurally: errors may come from another realm). */
export function toError(error: unknown): Error {
  return typeof error === 'object' && error !== null && 'message' in error
    ? (error as Error)
    : new Error(String(error));
}

/**
 * Passes bytes through while counting them and computing their SHA-256. `onProgress` runs for
 * every chunk before it is passed on, with the running byte count; if it throws, the stream fails
 * with that error (and pipeline() tears down the source and the destination).
 */
export class MeteringTransform extends Transform {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;

  constructor(private readonly onProgress?: (bytesSoFar: number) => void) {
    super();
  }

  override _transform(chunk: Buffer | string, encoding: BufferEncoding, callback: TransformCallback): void {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, encoding) : chunk;
    this.bytes += buffer.length;
    try {
      this.onProgress?.(this.bytes);
    } catch (error) {
      callback(toError(error));
      return;
    }
    this.hash.update(buffer);
    callback(null, buffer);
  }

  /** Byte count so far (the total once the stream has ended). */
  get size(): number {
    return this.bytes;
  }

  /** The SHA-256 (hex); call once, after the stream has ended. */
  digest(): string {
    return this.hash.digest('hex');
  }
}
