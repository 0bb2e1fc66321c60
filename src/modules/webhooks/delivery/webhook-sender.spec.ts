import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { excerpt, sendWebhook } from './webhook-sender';
import type { ResolvedTarget } from './webhook-target-resolver';

describe('sendWebhook', () => {
  let server: Server;
  let port: number;
  let handler: (req: IncomingMessage, res: ServerResponse, body: string) => void;
  const seen: Array<{ host?: string; url?: string; body: string }> = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ host: req.headers.host, url: req.url, body });
        handler(req, res, body);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
  beforeEach(() => {
    seen.length = 0;
    handler = (_req, res) => res.writeHead(204).end();
  });

  // A host name that cannot resolve: the request can only arrive if the
  // socket goes to the pinned, already-checked address.
  const target = (path = '/hooks?x=1'): ResolvedTarget => ({
    url: new URL(`http://receiver.invalid:${port}${path}`),
    hostname: 'receiver.invalid',
    address: '127.0.0.1',
    family: 4,
  });

  it('connects to the checked address while keeping the host name in Host', async () => {
    const result = await sendWebhook(target(), { 'Content-Type': 'application/json' }, '{"a":1}', 2000);
    expect(result).toMatchObject({ statusCode: 204 });
    expect(seen).toEqual([{ host: `receiver.invalid:${port}`, url: '/hooks?x=1', body: '{"a":1}' }]);
  });

  it('never reuses a kept-alive socket for another checked address of the same host and port', async () => {
    // The receiver listens on 127.0.0.1 only, so 127.0.0.2 refuses connections:
    // the second request can only succeed over the first one's pooled socket.
    expect((await sendWebhook(target(), {}, '{}', 2000)).statusCode).toBe(204);
    const elsewhere = await sendWebhook({ ...target(), address: '127.0.0.2' }, {}, '{}', 2000);
    expect(elsewhere.statusCode).toBeUndefined();
    expect(elsewhere.error).toBe('connection refused');
    expect(seen).toHaveLength(1);
    // The same address again does reuse it.
    expect((await sendWebhook(target(), {}, '{}', 2000)).statusCode).toBe(204);
  });

  it('does not follow redirects', async () => {
    handler = (_req, res) => res.writeHead(307, { Location: `http://127.0.0.1:${port}/elsewhere` }).end();
    const result = await sendWebhook(target(), {}, '{}', 2000);
    expect(result.statusCode).toBe(307);
    expect(seen.map((s) => s.url)).toEqual(['/hooks?x=1']);
  });

  it('keeps at most 1 KiB of the response body and reports Retry-After', async () => {
    handler = (_req, res) => res.writeHead(503, { 'Retry-After': '7' }).end('é'.repeat(3000));
    const result = await sendWebhook(target(), {}, '{}', 2000);
    expect(result).toMatchObject({ statusCode: 503, retryAfter: '7' });
    expect(Buffer.byteLength(result.bodyExcerpt!)).toBe(1024);
  });

  it('times out a slow receiver', async () => {
    handler = (_req, res) => setTimeout(() => res.writeHead(200).end(), 1000);
    const result = await sendWebhook(target(), {}, '{}', 150);
    expect(result.statusCode).toBeUndefined();
    expect(result.error).toBe('timed out after 150 ms');
    expect(result.durationMs).toBeLessThan(900);
  });
});

describe('excerpt', () => {
  it('drops a character cut at the 1 KiB edge and NULs, and is undefined for an empty body', () => {
    expect(excerpt(Buffer.from('a'.repeat(1023) + 'é'))).toBe('a'.repeat(1023));
    expect(excerpt(Buffer.from('a\u0000b'))).toBe('ab');
    expect(excerpt(Buffer.alloc(0))).toBeUndefined();
  });
});
