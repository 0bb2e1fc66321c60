import type { ArgumentsHost } from '@nestjs/common';
import type { Request, Response } from 'express';

// Nest's switchToHttp() assigns a fresh object of three closures onto the
// context on every call, and the guards of one request ask for the request
// half a dozen times; an HTTP context's arguments are (req, res, next).

/** The Express request of an HTTP execution context. */
export function requestOf<T = Request>(host: ArgumentsHost): T {
  return host.getArgByIndex<T>(0);
}

/** The Express response of an HTTP execution context. */
export function responseOf(host: ArgumentsHost): Response {
  return host.getArgByIndex<Response>(1);
}

/**
 * The request's parsed query string, or undefined when its URL has none.
 * Express 5 parses `req.query` anew on every read (a getter, not a cached
 * property); most requests carry no query string, and for those there is
 * nothing to parse or to check.
 */
export function queryOf(req: Pick<Request, 'url' | 'query'>): Request['query'] | undefined {
  return req.url.includes('?') ? req.query : undefined;
}

/**
 * The client's address, as `req.ip` gives it. Express computes `req.ip` anew
 * on every read with proxy-addr, which splits X-Forwarded-For into an array
 * even when no proxy is trusted and the answer is the socket's address; an
 * authenticated request asks two or three times.
 */
export function clientAddressOf(req: Pick<Request, 'ip' | 'app' | 'socket'>): string {
  const ip = req.app?.get('trust proxy') === false ? undefined : req.ip;
  return ip ?? req.socket?.remoteAddress ?? '';
}
