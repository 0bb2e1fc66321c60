// A real HTTP webhook receiver on 127.0.0.1 for e2e tests. Every delivery is
// verified with the `standardwebhooks` npm package — the reference
// implementation, not our signer — against each secret the test gave it, and
// recorded with which of them verified.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface ReceivedDelivery {
  /** Order of arrival, from 0. */
  index: number;
  path: string;
  webhookId: string;
  webhookTimestamp: string;
  webhookSignature: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** The parsed body when it is JSON. */
  json: any;
  /** Indices into `secrets` of every secret whose signature verified. */
  verifiedWith: number[];
  receivedAt: number;
}

export interface ReceiverResponse {
  status: number;
  headers?: Record<string, string>;
  body?: string;
  /** Wait this long before answering (timeouts, graceful shutdown). */
  delayMs?: number;
  /** Never answer: the request stays open until the sender gives up or the receiver closes. */
  hang?: boolean;
}

export type Responder = (delivery: ReceivedDelivery) => ReceiverResponse;

export class WebhookReceiver {
  readonly deliveries: ReceivedDelivery[] = [];
  /** Secrets to verify with; set once the endpoint exists. */
  secrets: string[] = [];
  respond: Responder = () => ({ status: 204 });
  private readonly sockets = new Set<import('node:net').Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<WebhookReceiver> {
    const server = createServer();
    const receiver = new WebhookReceiver(server);
    server.on('request', (req, res) => receiver.handle(req, res));
    server.on('connection', (socket) => {
      receiver.sockets.add(socket);
      socket.on('close', () => receiver.sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return receiver;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  url(path = '/hooks'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Deliveries carrying this webhook-id. */
  byId(webhookId: string): ReceivedDelivery[] {
    return this.deliveries.filter((d) => d.webhookId === webhookId);
  }

  /** Resolves once `predicate` holds for the deliveries so far; fails after `timeoutMs`. */
  async waitFor(predicate: (deliveries: ReceivedDelivery[]) => boolean, timeoutMs = 8000): Promise<ReceivedDelivery[]> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.deliveries)) {
      if (Date.now() > deadline) throw new Error(`webhook receiver: condition not met within ${timeoutMs} ms (${this.deliveries.length} deliveries so far)`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    return this.deliveries;
  }

  waitForCount(count: number, timeoutMs?: number): Promise<ReceivedDelivery[]> {
    return this.waitFor((d) => d.length >= count, timeoutMs);
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = (name: string) => String(req.headers[name] ?? '');
      const delivery: ReceivedDelivery = {
        index: this.deliveries.length,
        path: req.url ?? '',
        webhookId: header('webhook-id'),
        webhookTimestamp: header('webhook-timestamp'),
        webhookSignature: header('webhook-signature'),
        headers: req.headers,
        body,
        json: safeJson(body),
        verifiedWith: this.secrets.flatMap((secret, i) => (verifies(secret, body, req.headers) ? [i] : [])),
        receivedAt: Date.now(),
      };
      this.deliveries.push(delivery);
      const answer = this.respond(delivery);
      const send = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, answer.headers ?? {});
        res.end(answer.body ?? '');
      };
      if (answer.hang) return;
      if (answer.delayMs) {
        // A sender that gives up first closes the request: the answer is no longer due, and its
        // timer would keep the Jest worker alive after the suite (a timeout test waits 10 s).
        const timer = setTimeout(send, answer.delayMs);
        res.once('close', () => clearTimeout(timer));
      } else {
        send();
      }
    });
  }
}

function verifies(secret: string, body: string, headers: IncomingMessage['headers']): boolean {
  try {
    new Webhook(secret).verify(body, headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Polls `check` until it returns a truthy value (or stops throwing); for database-side conditions. */
export async function eventually<T>(check: () => Promise<T>, timeoutMs = 8000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
      lastError = new Error('condition still false');
    } catch (error) {
      lastError = error;
    }
    if (Date.now() > deadline) throw lastError;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
