import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { register } from 'prom-client';

export interface WorkerHttpServer {
  port: number;
  close(): Promise<void>;
}

/**
 * The worker's only HTTP surface (plain node:http, no framework): GET /health → 200 {"status":"ok"}
 * and GET /metrics → prom-client's default registry (job durations, failures, queue depths), with
 * the same metric names as the API's METRICS_PATH (PrometheusModule there; no Nest HTTP stack here).
 * Port 0 picks a free port (tests); main.ts starts it only when WORKER_HTTP_PORT > 0.
 */
export async function startWorkerHttpServer(port: number, host = '0.0.0.0'): Promise<WorkerHttpServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    if (path === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok' }));
      return;
    }
    if (path === '/metrics') {
      register.metrics().then(
        (body) => res.writeHead(200, { 'content-type': register.contentType, 'cache-control': 'no-store' }).end(body),
        (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(err)),
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 404 }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
