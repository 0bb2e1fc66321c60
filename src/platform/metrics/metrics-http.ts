import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { PROBLEM_CONTENT_TYPE, problemType } from '../errors/domain-errors';
import { requestIdOf } from '../http/request-id';
import { Metrics, UNMATCHED_ROUTE } from './metrics';

export const METRICS_PATH = '/metrics';

const STARTED_AT = Symbol('musicpub.metrics.startedAt');
const ROUTE = Symbol('musicpub.metrics.route');

type Timed = Response & { [STARTED_AT]?: number; [ROUTE]?: string };

/**
 * Counts and times every request once its response is finished. The label is
 * the Express route template the request matched (`/v1/releases/:id`), set by
 * the router while Nest handled it; a request no route matched is
 * UNMATCHED_ROUTE, since its path is whatever the client typed.
 */
export function requestMetrics(metrics: Metrics): RequestHandler {
  // One listener function for every response: no closure per request.
  function onFinish(this: Timed): void {
    const started = this[STARTED_AT];
    if (started === undefined) return;
    metrics.observeRequest(this.req.method, routeOf(this.req, this), this.statusCode, (performance.now() - started) / 1000);
    if (this.getHeader('Idempotent-Replayed') === 'true') metrics.idempotentReplay();
  }
  return (_req: Request, res: Response, next: NextFunction) => {
    (res as Timed)[STARTED_AT] = performance.now();
    // `on`, not `once`: a response finishes once, and `once` wraps the listener anew for every request.
    res.on('finish', onFinish);
    next();
  };
}

function routeOf(req: Request, res: Timed): string {
  const explicit = res[ROUTE];
  if (explicit !== undefined) return explicit;
  const path = (req.route as { path?: unknown } | undefined)?.path;
  // Nest mounts a module's middleware (`consumer.apply`) on a catch-all route
  // (`{/*splat}`): a request that only matched one reached no API route.
  if (typeof path !== 'string' || path.includes('*')) return UNMATCHED_ROUTE;
  return req.baseUrl ? req.baseUrl + path : path;
}

/**
 * GET /metrics in Prometheus text for a scraper holding METRICS_TOKEN
 * (`Authorization: Bearer <token>`). It sits before Nest's guards on
 * purpose: it is no tenant's resource, so it is not audited in any
 * organization, and a scraper never spends an API rate limit. The token is
 * compared as SHA-256 digests in constant time, and config demands ≥ 32
 * characters of it, which leaves nothing to guess online.
 */
export function metricsEndpoint(metrics: Metrics, token: string): RequestHandler {
  const expected = digest(token);
  return (req: Request, res: Response, next: NextFunction) => {
    // Mounted at /metrics: anything below it, or another method, is not this route.
    if (req.path !== '/' || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    (res as Timed)[ROUTE] = METRICS_PATH;
    const presented = /^Bearer ([^\s]+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (presented === undefined || !timingSafeEqual(digest(presented), expected)) {
      metrics.authRefused(presented === undefined ? 'metrics_token_missing' : 'metrics_token_invalid');
      res.status(401).setHeader('WWW-Authenticate', 'Bearer realm="metrics"');
      res.setHeader('Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`);
      res.setHeader('Cache-Control', 'no-store');
      res.send(
        JSON.stringify({
          type: problemType('unauthenticated'),
          title: 'Unauthorized',
          status: 401,
          detail: 'The metrics endpoint needs Authorization: Bearer <METRICS_TOKEN>.',
          reason: presented === undefined ? 'credential_missing' : 'metrics_token_invalid',
          instance: METRICS_PATH,
          requestId: requestIdOf(req),
        }),
      );
      return;
    }
    metrics.render().then(
      (text) => {
        res.status(200).setHeader('Content-Type', metrics.contentType);
        res.setHeader('Cache-Control', 'no-store');
        res.send(text);
      },
      (error: unknown) => next(error),
    );
  };
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
