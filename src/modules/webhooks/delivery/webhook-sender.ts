// One HTTP POST of a delivery, to an address that was already checked.
//
// - The socket connects to `target.address` through a `lookup` that answers
//   with it, while the URL's host name still goes into `Host` and TLS SNI (and
//   certificate verification): no second DNS answer can slip in between the
//   SSRF check and the connect (DNS rebinding).
// - Redirects are never followed (node:http does not follow them; a 3xx is
//   reported as the status it is and the retry policy counts it as a failure).
// - One deadline covers connect, TLS, request and response.
// - At most 1 KiB of the response body is kept; a body is drained up to 64 KiB
//   so the keep-alive socket can be reused, and cut beyond that.
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedTarget } from './webhook-target-resolver';

export const EXCERPT_BYTES = 1024;
const DRAIN_LIMIT_BYTES = 64 * 1024;

/** Request options carrying the address the socket must connect to. */
interface PinnedRequestOptions extends https.RequestOptions {
  pinnedAddress: string;
}

// Keep-alive agents shared by every delivery of the process. Node pools
// sockets by host:port (and TLS options); the pinned address is added to that
// key, so a reused socket is always one that was connected to the very
// address this attempt's check allowed, even when a name now resolves
// elsewhere. Free sockets stay open up to the per-target limit: a delivery
// loop sends up to DELIVERY_CONCURRENCY requests at once, and a socket closed
// between two bursts is a TCP (and TLS) handshake paid again.
class PinnedHttpAgent extends http.Agent {
  override getName(options?: http.ClientRequestArgs): string {
    return `${super.getName(options)}@${(options as PinnedRequestOptions | undefined)?.pinnedAddress ?? ''}`;
  }
}
class PinnedHttpsAgent extends https.Agent {
  override getName(options?: https.RequestOptions): string {
    return `${super.getName(options)}@${(options as PinnedRequestOptions | undefined)?.pinnedAddress ?? ''}`;
  }
}
const SOCKETS_PER_TARGET = 64;
const httpAgent = new PinnedHttpAgent({ keepAlive: true, maxSockets: SOCKETS_PER_TARGET, maxFreeSockets: SOCKETS_PER_TARGET });
const httpsAgent = new PinnedHttpsAgent({ keepAlive: true, maxSockets: SOCKETS_PER_TARGET, maxFreeSockets: SOCKETS_PER_TARGET });

export interface SendResult {
  statusCode?: number;
  retryAfter?: string;
  bodyExcerpt?: string;
  error?: string;
  durationMs: number;
}

export function sendWebhook(target: ResolvedTarget, headers: Record<string, string>, body: string, timeoutMs: number): Promise<SendResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  const payload = Buffer.from(body, 'utf8');
  const pinnedLookup: LookupFunction = (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (err: null, addresses: Array<{ address: string; family: number }>) => void)(null, [{ address: target.address, family: target.family }]);
    } else {
      callback(null, target.address, target.family);
    }
  };
  const isHttps = target.url.protocol === 'https:';

  return new Promise<SendResult>((resolve) => {
    let settled = false;
    const finish = (result: Omit<SendResult, 'durationMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, durationMs: elapsed() });
    };
    const options: PinnedRequestOptions = {
      method: 'POST',
      protocol: target.url.protocol,
      hostname: target.hostname,
      port: target.url.port || undefined,
      path: `${target.url.pathname}${target.url.search}`,
      agent: isHttps ? httpsAgent : httpAgent,
      lookup: pinnedLookup,
      pinnedAddress: target.address,
      headers: { ...headers, 'Content-Length': String(payload.length) },
    };
    const request = isHttps ? https.request(options) : http.request(options);
    const timer = setTimeout(() => {
      request.destroy(new Error(`timed out after ${timeoutMs} ms`));
    }, timeoutMs);

    request.on('error', (error: NodeJS.ErrnoException) => finish({ error: describeError(error) }));
    request.on('response', (response) => {
      const chunks: Buffer[] = [];
      let kept = 0;
      let seen = 0;
      const done = () =>
        finish({
          statusCode: response.statusCode,
          retryAfter: headerValue(response.headers['retry-after']),
          bodyExcerpt: excerpt(Buffer.concat(chunks)),
        });
      response.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (kept < EXCERPT_BYTES) {
          const part = chunk.subarray(0, EXCERPT_BYTES - kept);
          chunks.push(part);
          kept += part.length;
        }
        // The status is all we need; do not read an unbounded body.
        if (seen > DRAIN_LIMIT_BYTES) {
          response.destroy();
          done();
        }
      });
      response.on('end', done);
      response.on('error', done);
      response.on('close', done);
    });
    request.end(payload);
  });
}

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/** ≤ 1 KiB as text: a multi-byte character cut at the edge is dropped, NULs (which Postgres text refuses) removed. */
export function excerpt(bytes: Buffer): string | undefined {
  if (bytes.length === 0) return undefined;
  return bytes.subarray(0, EXCERPT_BYTES).toString('utf8').replace(/\uFFFD+$/, '').replace(/\u0000/g, '');
}

/** A short, safe description of a transport failure (no stack, no internal paths). */
function describeError(error: NodeJS.ErrnoException): string {
  const code = error.code;
  if (error.message.startsWith('timed out')) return error.message;
  switch (code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset by the receiver';
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return 'host unreachable';
    case 'ETIMEDOUT':
      return 'connection timed out';
    case 'EPROTO':
      return 'TLS handshake failed';
    default:
      if (code && /CERT|SSL|TLS|SIG/i.test(code)) return `TLS certificate rejected (${code})`;
      return code ? `request failed (${code})` : 'request failed';
  }
}
