// Real HTTP over 127.0.0.1: receivers are started by the tests on ephemeral ports.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { Agent } from 'undici';
import type { LookupFn } from './lookup.js';
import { createPinnedAgent } from './pinned-agent.js';
import { MAX_EXCERPT_CHARS, sendWebhook } from './sender.js';
import { buildWebhookHeaders, generateWebhookSecret } from './signing.js';
import { checkWebhookUrl } from './url-policy.js';

interface Hit {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface Receiver {
  port: number;
  hits: Hit[];
  close(): Promise<void>;
}

async function startReceiver(
  handler: (req: IncomingMessage, res: ServerResponse, hit: Hit) => void,
): Promise<Receiver> {
  const hits: Hit[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const hit = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      hits.push(hit);
      handler(req, res, hit);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const lookupTo =
  (address: string): LookupFn =>
  async () => [{ address, family: 4 }];
const body = JSON.stringify({ type: 'ping', data: {} });
const headers = (secret = generateWebhookSecret()) =>
  buildWebhookHeaders({
    msgId: 'msg_t',
    timestampSec: Math.floor(Date.now() / 1000),
    body,
    event: 'ping',
    secrets: [secret],
  });

describe('sendWebhook through the pinned agent', () => {
  let receiver: Receiver | undefined;
  const agents: Agent[] = [];
  const agent = (opts: Parameters<typeof createPinnedAgent>[0]) => {
    const a = createPinnedAgent(opts);
    agents.push(a);
    return a;
  };
  const local = () => agent({ allowPrivate: true, connectTimeoutMs: 1000 });

  afterEach(async () => {
    await Promise.all(agents.splice(0).map((a) => a.destroy()));
    await receiver?.close();
    receiver = undefined;
  });

  it('delivers a signed POST that the receiver can verify; 200 is ok', async () => {
    receiver = await startReceiver((_req, res) => res.writeHead(200).end('thanks'));
    const secret = generateWebhookSecret();
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/hook`,
      headers: headers(secret),
      body,
      timeoutMs: 2000,
      dispatcher: local(),
    });
    expect(out).toEqual({ ok: true, status: 200, durationMs: expect.any(Number), excerpt: 'thanks', gone: false });
    expect(receiver.hits).toHaveLength(1);
    const [hit] = receiver.hits;
    expect(hit.method).toBe('POST');
    expect(hit.body).toBe(body);
    expect(hit.headers['user-agent']).toBe('LMS-Webhooks/1');
    expect(hit.headers['x-webhook-event']).toBe('ping');
    expect(new Webhook(secret).verify(hit.body, hit.headers as Record<string, string>)).toEqual(JSON.parse(body));
  });

  it('reports a 500 as not ok, with an excerpt of the body', async () => {
    receiver = await startReceiver((_req, res) =>
      res.writeHead(500).end(Buffer.from([...Buffer.from('database exploded'), 0, 0xff])),
    );
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/`,
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: false, status: 500, excerpt: 'database exploded\uFFFD\uFFFD', gone: false });
    expect(out.error).toBeUndefined();
  });

  it('reports 410 as gone', async () => {
    receiver = await startReceiver((_req, res) => res.writeHead(410).end());
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/`,
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: false, status: 410, excerpt: '', gone: true });
  });

  it('never follows redirects', async () => {
    receiver = await startReceiver((req, res) => {
      if (req.url === '/hook') res.writeHead(302, { location: '/target' }).end('moved');
      else res.writeHead(200).end('target');
    });
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/hook`,
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: false, status: 302, error: 'redirect_not_followed', gone: false });
    expect(receiver.hits.map((h) => h.url)).toEqual(['/hook']);
  });

  it('times out a receiver that never answers within about timeoutMs', async () => {
    receiver = await startReceiver(() => undefined);
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/`,
      headers: headers(),
      body,
      timeoutMs: 200,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: false, status: null, excerpt: null, error: 'timeout', gone: false });
    expect(out.durationMs).toBeGreaterThanOrEqual(190);
    expect(out.durationMs).toBeLessThan(1500);
  });

  it('times out a receiver that stalls in the middle of the body', async () => {
    receiver = await startReceiver((_req, res) => {
      res.writeHead(200, { 'content-length': '100' });
      res.write('partial');
    });
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/`,
      headers: headers(),
      body,
      timeoutMs: 200,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: false, status: 200, excerpt: 'partial', error: 'timeout' });
    expect(out.durationMs).toBeLessThan(1500);
  });

  it('caps the read of a 1 MB response', async () => {
    receiver = await startReceiver((_req, res) => res.writeHead(200).end('é'.repeat(512 * 1024)));
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/`,
      headers: headers(),
      body,
      timeoutMs: 5000,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: true, status: 200, excerpt: 'é'.repeat(MAX_EXCERPT_CHARS) });
  });

  it('stops reading an endless response instead of hanging', async () => {
    receiver = await startReceiver((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 'x');
      const pump = () => {
        while (!res.destroyed && res.write(chunk));
        if (!res.destroyed) res.once('drain', pump);
      };
      pump();
    });
    const out = await sendWebhook({
      url: `http://127.0.0.1:${receiver.port}/`,
      headers: headers(),
      body,
      timeoutMs: 5000,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: true, status: 200, excerpt: 'x'.repeat(MAX_EXCERPT_CHARS) });
    expect(out.error).toBeUndefined();
    expect(out.durationMs).toBeLessThan(4000);
  });

  it('reports a refused connection', async () => {
    const closed = await startReceiver(() => undefined);
    await closed.close();
    const out = await sendWebhook({
      url: `http://127.0.0.1:${closed.port}/`,
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: false, status: null, excerpt: null, error: 'connection_refused', gone: false });
  });

  it('resolves hostnames through its own lookup (Host header kept), skipping forbidden addresses', async () => {
    receiver = await startReceiver((_req, res) => res.writeHead(204).end());
    const lookup: LookupFn = async () => [
      { address: '169.254.169.254', family: 4 },
      { address: '127.0.0.1', family: 4 },
    ];
    const out = await sendWebhook({
      url: `http://hooks.customer.test:${receiver.port}/x`,
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: agent({ allowPrivate: true, lookup, connectTimeoutMs: 1000 }),
    });
    expect(out).toMatchObject({ ok: true, status: 204 });
    expect(receiver.hits[0].headers.host).toBe(`hooks.customer.test:${receiver.port}`);
  });

  it.each(['127.0.0.1', '[::1]', '[::ffff:127.0.0.1]', '2130706433', '169.254.169.254'])(
    'refuses the IP literal %s at connect time (no DNS lookup happens for literals)',
    async (host) => {
      receiver = await startReceiver((_req, res) => res.writeHead(200).end());
      let lookups = 0;
      const dispatcher = agent({
        allowPrivate: false,
        lookup: async () => {
          lookups++;
          return [{ address: '93.184.215.14', family: 4 }];
        },
        connectTimeoutMs: 1000,
      });
      const out = await sendWebhook({
        url: `http://${host}:${receiver.port}/`,
        headers: headers(),
        body,
        timeoutMs: 2000,
        dispatcher,
      });
      expect(out).toMatchObject({ ok: false, status: null, error: 'address_forbidden' });
      expect(lookups).toBe(0);
      expect(receiver.hits).toHaveLength(0);
    },
  );

  it('refuses the metadata address literal even with allowPrivate', async () => {
    const out = await sendWebhook({
      url: 'http://169.254.169.254/latest/meta-data/',
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: local(),
    });
    expect(out).toMatchObject({ ok: false, status: null, error: 'address_forbidden' });
  });

  it('defeats DNS rebinding: the registration check passes, the delivery connects nowhere internal', async () => {
    receiver = await startReceiver((_req, res) => res.writeHead(200).end());
    let calls = 0;
    const rebinding: LookupFn = async () => [{ address: calls++ === 0 ? '93.184.215.14' : '127.0.0.1', family: 4 }];
    const url = `http://rebind.attacker.test:${receiver.port}/hook`;
    expect(await checkWebhookUrl(url, { allowPrivate: false, lookup: rebinding })).toMatchObject({ ok: true });
    const out = await sendWebhook({
      url,
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: agent({ allowPrivate: false, lookup: rebinding, connectTimeoutMs: 1000 }),
    });
    expect(out).toMatchObject({ ok: false, status: null, error: 'address_forbidden' });
    expect(calls).toBeGreaterThanOrEqual(2);
    expect(receiver.hits).toHaveLength(0);
  });

  it('reports an unresolvable host', async () => {
    const out = await sendWebhook({
      url: 'http://nowhere.test/',
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: agent({ allowPrivate: false, lookup: async () => [], connectTimeoutMs: 1000 }),
    });
    expect(out).toMatchObject({ ok: false, status: null, error: 'unresolvable' });
  });

  it('delivers to a hostname resolved to an allowed address', async () => {
    receiver = await startReceiver((_req, res) => res.writeHead(200).end('ok'));
    const out = await sendWebhook({
      url: `http://plain.test:${receiver.port}/`,
      headers: headers(),
      body,
      timeoutMs: 2000,
      dispatcher: agent({ allowPrivate: true, lookup: lookupTo('127.0.0.1'), connectTimeoutMs: 1000 }),
    });
    expect(out).toMatchObject({ ok: true, status: 200, excerpt: 'ok' });
  });
});
