import type { ServerResponse } from 'node:http';

/** Counts requests being served, so shutdown can wait for them before tearing down providers. */
export class InFlightTracker {
  private count = 0;
  private closing = false;
  private waiters: Array<() => void> = [];

  get draining(): boolean {
    return this.closing;
  }

  get size(): number {
    return this.count;
  }

  track(res: ServerResponse): void {
    this.count++;
    res.once('close', () => {
      this.count--;
      if (this.count === 0 && this.waiters.length) {
        const waiters = this.waiters;
        this.waiters = [];
        for (const resolve of waiters) resolve();
      }
    });
  }

  /** Stops accepting (callers answer 503 while draining) and resolves once idle or after timeoutMs. */
  drain(timeoutMs: number): Promise<void> {
    this.closing = true;
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      timer.unref();
      this.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
