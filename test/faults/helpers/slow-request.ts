// A request whose body the test writes piece by piece, so it can be in flight
// (headers sent, body incomplete) at the moment a fault strikes, and then be
// finished, abandoned mid-body, or left stalled.
import http from 'node:http';

export interface SlowResponse {
  status: number;
  body: string;
  json: any;
}

export class SlowRequest {
  readonly response: Promise<SlowResponse>;
  private readonly req: http.ClientRequest;

  constructor(url: string, headers: Record<string, string | number>) {
    this.req = http.request(url, { method: 'POST', headers, agent: false });
    this.response = new Promise((resolve, reject) => {
      this.req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const body = Buffer.concat(chunks).toString('utf8');
          let json: unknown;
          try {
            json = JSON.parse(body);
          } catch {
            json = undefined;
          }
          resolve({ status: res.statusCode ?? 0, body, json });
        });
        res.on('error', reject);
      });
      this.req.on('error', reject);
    });
    // An abandoned request's rejection is expected; keep it from being "unhandled".
    this.response.catch(() => undefined);
    this.req.flushHeaders();
  }

  write(chunk: Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.req.write(chunk, (error) => (error ? reject(error) : resolve())));
  }

  /** Writes `body` in `pieces` parts, `gapMs` apart, then ends the request. */
  async trickle(body: Buffer, pieces: number, gapMs: number): Promise<void> {
    const size = Math.ceil(body.length / pieces);
    for (let offset = 0; offset < body.length; offset += size) {
      await this.write(body.subarray(offset, offset + size));
      await new Promise((resolve) => setTimeout(resolve, gapMs));
    }
    this.req.end();
  }

  end(chunk?: Buffer): void {
    this.req.end(chunk);
  }

  /** The client goes away mid-body (connection reset). */
  abandon(): void {
    this.req.destroy();
  }
}
