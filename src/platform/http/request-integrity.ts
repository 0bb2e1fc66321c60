// Requests the HTTP layer refuses before any route sees them, and the
// server's own time limits: plain functions that configureHttp installs.
import type { Server } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { AppConfig } from '../../config/app-config';
import { BadRequest } from '../errors/domain-errors';

// RFC 9112 §3.2 / RFC 3986 §3.2.2: uri-host [ ":" port ], the host an
// IP-literal, an IPv4 address or a reg-name (unreserved, %-encoded, sub-delims).
const HOST_VALUE = /^(?:\[[0-9A-Fa-f:.]+\]|(?:[A-Za-z0-9\-._~!$&'()*+,;=]|%[0-9A-Fa-f]{2})*)(?::[0-9]*)?$/;

/**
 * RFC 9112 §3.2: a server MUST answer 400 to a request with more than one
 * Host field line, or a Host whose value is invalid. Node keeps only the
 * first of several Host lines in `req.headers`, so a proxy that routed on
 * the other one and this server would disagree about the target: the raw
 * header list is what tells. (A missing Host on HTTP/1.1 is refused by Node
 * itself, `requireHostHeader`.)
 */
export function singleHostHeader(req: Request, _res: Response, next: NextFunction): void {
  let hosts = 0;
  let value = '';
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === 'host') {
      hosts++;
      value = req.rawHeaders[i + 1];
    }
  }
  if (hosts > 1) return next(new BadRequest('The request has more than one Host header field; send exactly one (RFC 9112 §3.2).'));
  if (hosts === 1 && !HOST_VALUE.test(value)) return next(new BadRequest('The Host header field is not a valid host[:port] (RFC 9112 §3.2).'));
  next();
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * JSON is UTF-8 (RFC 8259 §8.1) and body-parser would quietly turn invalid
 * sequences into U+FFFD, storing something the client never sent. As a
 * body parser `verify` hook: the error carries body-parser's `status` and
 * `type` conventions, so it renders as a 400 like any other unreadable body.
 */
export function assertUtf8(body: Buffer): void {
  try {
    utf8.decode(body);
  } catch {
    throw Object.assign(new Error('The request body is not valid UTF-8.'), { status: 400, type: 'entity.encoding.invalid' });
  }
}

/**
 * Node's defaults (headers within 60 s, the whole request within 300 s) would
 * cut a large upload off after five minutes: both limits come from the
 * configuration (HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS). The
 * headers limit stays short, so a client trickling headers (slowloris) is
 * dropped quickly; the request limit bounds the slowest upload accepted.
 */
export function applyServerTimeouts(server: Server, config: Pick<AppConfig, 'httpHeadersTimeoutMs' | 'httpRequestTimeoutMs'>): void {
  server.headersTimeout = config.httpHeadersTimeoutMs;
  server.requestTimeout = config.httpRequestTimeoutMs;
}
