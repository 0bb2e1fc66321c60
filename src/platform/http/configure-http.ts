import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Server } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import { AppConfig } from '../../config/app-config';
import { RequestAuditor } from '../audit/request-auditor';
import { RequestLogging } from '../logging/logging.module';
import { Metrics } from '../metrics/metrics';
import { METRICS_PATH, metricsEndpoint, requestMetrics } from '../metrics/metrics-http';
import { docsAssetsOnly } from './docs-assets';
import { mediaTypePolicy } from './media-type-policy';
import { OAUTH_TOKEN_PATH } from '../auth/oauth-error';
import { ProblemDetailsFilter } from './problem-details.filter';
import { inSequence } from './request-prelude';
import { requestIdMiddleware } from './request-id';
import { securityHeaders } from './security-headers';
import { applyServerTimeouts, assertUtf8, singleHostHeader } from './request-integrity';

/**
 * Express-level setup shared by `main.ts`, the e2e app factory and the
 * benchmarks, so tests exercise exactly what production serves. Order matters:
 * request id first (every later error carries it), then security headers, the
 * media-type check, and only then body parsing with explicit limits.
 * The app must be created with `bodyParser: false`.
 */
export function configureHttp(app: NestExpressApplication, config: AppConfig): void {
  applyServerTimeouts(app.getHttpServer() as Server, config);
  app.disable('x-powered-by');
  // Resources carry explicit version ETags (If-Match); Express's automatic body
  // hashes would put misleading ETags on everything else, errors included.
  app.set('etag', false);
  // Express (proxy-addr) computes req.ip from X-Forwarded-For only for hops
  // whose address is in this list; with none configured the socket address is used.
  app.set('trust proxy', config.trustedProxies.length > 0 ? config.trustedProxies : false);

  const metrics = app.get(Metrics);
  const headers = securityHeaders({
    // HSTS only means something over TLS (API guide: Conventions).
    strictTransportSecurity: config.tlsCertFile ? { maxAge: 31536000, includeSubDomains: true } : false,
    contentSecurityPolicy: {
      directives: {
        // Swagger UI at /docs loads its own scripts and inline styles.
        'script-src': ["'self'"],
        'style-src': ["'self'", "'unsafe-inline'"],
        'img-src': ["'self'", 'data:'],
      },
    },
  });
  const requestLogs = app.get(RequestLogging, { strict: false }).middleware;
  // One layer for what every request needs, whatever its path (request-prelude.ts says why).
  app.use(
    inSequence([
      // First, so every request is timed and counted, whatever answers it.
      requestMetrics(metrics),
      requestIdMiddleware,
      ...requestLogs,
      singleHostHeader,
      headers.api,
    ]),
  );
  app.use('/docs', headers.docs);
  // Without allowed origins the cors middleware would only call next(): it is not mounted.
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      exposedHeaders: [
        'X-Request-Id',
        'ETag',
        'Location',
        'Idempotent-Replayed',
        'RateLimit',
        'RateLimit-Policy',
        'Retry-After',
      ],
      maxAge: 600,
    });
  }
  // Before body parsing and Nest's guards: a scrape reads nothing, spends no
  // tenant's rate limit and writes no audit event. Without a token, no route.
  if (config.metricsToken) app.use(METRICS_PATH, metricsEndpoint(metrics, config.metricsToken));
  const bodyChecks = inSequence([
    mediaTypePolicy,
    express.json({
      limit: config.jsonBodyLimitBytes,
      type: ['application/json', 'application/*+json'],
      strict: true,
      // Signatures are over the bytes as sent (Standard Webhooks partner
      // callbacks), not over a re-serialisation: keep them as req.rawBody.
      verify: (req, _res, buf) => {
        assertUtf8(buf);
        (req as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  ]);
  // Without Content-Length or Transfer-Encoding a request has no body (RFC 9112
  // §6.3), and both steps would only find that out again, the JSON parser after
  // asking on-finished whether the request is over: most reads skip them.
  app.use((req: Request, res: Response, next: NextFunction) =>
    req.headers['content-length'] === undefined && req.headers['transfer-encoding'] === undefined ? next() : bodyChecks(req, res, next),
  );
  app.use(
    OAUTH_TOKEN_PATH,
    express.urlencoded({
      extended: false,
      limit: '8kb',
      parameterLimit: 20,
      // A signed token request's Content-Digest is checked against these bytes (API guide: Signed requests).
      verify: (req, _res, buf) => {
        assertUtf8(buf);
        (req as { rawBody?: Buffer }).rawBody = buf;
      },
    }),
  );

  // Swagger UI's package ships its manifest, sources and build logs beside the
  // assets the page needs; serve the page's assets only.
  app.use('/docs', docsAssetsOnly);

  app.useGlobalFilters(new ProblemDetailsFilter(app.get(RequestAuditor), metrics));
}
