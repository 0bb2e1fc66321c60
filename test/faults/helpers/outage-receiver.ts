// A webhook receiver that can fail the way real ones do: go away (the port
// refuses connections) and come back on the same port, or hold requests open
// without answering (so a worker can be killed mid-attempt). Every delivery is
// verified with the `standardwebhooks` package against the endpoint's secret.
import { createServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

export interface Delivery {
  webhookId: string;
  body: string;
  json: any;
  verified: boolean;
  receivedAt: number;
}

/** `hold` keeps the request open until the connection goes away or `releaseHeld()` is called. */
export type Answer = { status: number; delayMs?: number } | 'hold';

export class OutageReceiver {
  readonly deliveries: Delivery[] = [];
  secret = '';
  answer: (delivery: Delivery) => Answer = () => ({ status: 204 });
  /** Requests answered with 'hold', until released or their socket closes. */
  readonly held = new Set<ServerResponse>();
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;

  async start(): Promise<void> {
    const server = createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    // The same port when coming back up: the endpoint's URL does not change.
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  get url(): string {
    if (!this.port) throw new Error('receiver not started');
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  get up(): boolean {
    return this.server !== undefined;
  }

  /** Stops listening and cuts every open connection: from now on connections are refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    this.held.clear();
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  releaseHeld(status = 204): void {
    for (const res of this.held) if (!res.destroyed) res.writeHead(status).end();
    this.held.clear();
  }

  /** Distinct webhook-ids received with a valid signature. */
  verifiedIds(): Set<string> {
    return new Set(this.deliveries.filter((d) => d.verified).map((d) => d.webhookId));
  }

  async waitFor(what: string, predicate: () => boolean, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`receiver: ${what} not within ${timeoutMs} ms (${this.deliveries.length} deliveries so far)`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const delivery: Delivery = {
        webhookId: String(req.headers['webhook-id'] ?? ''),
        body,
        json: parseJson(body),
        verified: verifies(this.secret, body, req.headers),
        receivedAt: Date.now(),
      };
      this.deliveries.push(delivery);
      const answer = this.answer(delivery);
      if (answer === 'hold') {
        this.held.add(res);
        res.on('close', () => this.held.delete(res));
        return;
      }
      const send = () => {
        if (!res.destroyed) res.writeHead(answer.status).end();
      };
      if (answer.delayMs) setTimeout(send, answer.delayMs);
      else send();
    });
  }
}

function verifies(secret: string, body: string, headers: IncomingMessage['headers']): boolean {
  if (!secret) return false;
  try {
    new Webhook(secret).verify(body, headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
