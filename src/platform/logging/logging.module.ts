import { DynamicModule, Inject, Injectable, Module, Optional } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type DestinationStream, type Logger, type LoggerOptions } from 'pino';
import { pinoHttp } from 'pino-http';
import { wrapRequestSerializer, wrapResponseSerializer } from 'pino-std-serializers';
import { AppConfig } from '../../config/app-config';
import { AppLogger } from './app-logger';
import { lazyRequestLogger } from './lazy-request-logger';
import { REDACT_PATHS, pickLoggedHeaders, redactUrl } from './log-redaction';
import { runWithRequestLogger } from './request-log-context';

const LOG_DESTINATION = Symbol('LogDestination');

type LoggedRequest = { id: string; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string };
const serializers = {
  req: (req: LoggedRequest) => ({
    id: req.id,
    method: req.method,
    url: redactUrl(req.url),
    headers: pickLoggedHeaders(req.headers),
    remoteAddress: req.remoteAddress,
  }),
  res: (res: ServerResponse & { statusCode: number }) => ({ statusCode: res.statusCode }),
};
const requestIdOf = (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id;
type LoggedIncoming = Request & { log?: Logger };

/**
 * One pino logger per app (tests run several apps in one process, each with
 * its own destination), and how each request gets its child of it.
 *
 * Request lines are logged at info. At info or below pino-http writes them
 * when the response finishes, and builds each request's child logger, which
 * they need. Above info no request line is written, so pino-http is not
 * mounted at all: each request gets a logger that builds its child (request
 * and request id bound) only when a line at an enabled level is written; the
 * common request writes none and pays nothing.
 *
 * Either way the request's logger is made current for everything the request
 * runs (request-log-context.ts), so a service's warning carries the request id.
 */
@Injectable()
export class RequestLogging {
  readonly root: Logger;
  /** Mounted right after the request id is assigned, in the request prelude (configure-http.ts). */
  readonly middleware: RequestHandler[];

  constructor(config: AppConfig, @Optional() @Inject(LOG_DESTINATION) destination?: DestinationStream) {
    const options: LoggerOptions = { level: config.logLevel, redact: { paths: REDACT_PATHS, censor: '[REDACTED]' } };
    const linesLogged = !['fatal', 'error', 'warn', 'silent'].includes(config.logLevel);
    if (linesLogged) {
      const requestLines = pinoHttp(
        {
          ...options,
          genReqId: (req: IncomingMessage) => requestIdOf(req) ?? 'unknown',
          customProps: (req: IncomingMessage) => ({ requestId: requestIdOf(req) }),
          serializers,
          // Health probes would drown the log.
          autoLogging: { ignore: (req: IncomingMessage) => req.url?.startsWith('/health/') ?? false },
        },
        destination,
      );
      this.root = requestLines.logger;
      this.middleware = [requestLines as RequestHandler, enterRequestLogger];
    } else {
      const root = pino(
        { ...options, serializers: { req: wrapRequestSerializer(serializers.req as never), res: wrapResponseSerializer(serializers.res as never) } },
        ...(destination ? [destination] : []),
      );
      this.root = root;
      this.middleware = [
        (req: LoggedIncoming, _res: Response, next: NextFunction) => {
          req.log = lazyRequestLogger(root, req);
          runWithRequestLogger(req.log, next);
        },
      ];
    }
  }
}

/** After pino-http has given the request its logger. */
function enterRequestLogger(req: LoggedIncoming, _res: Response, next: NextFunction): void {
  if (req.log) runWithRequestLogger(req.log, next);
  else next();
}

/**
 * Structured JSON logs (pino) with the request id on every line. The request
 * id itself is assigned earlier by requestIdMiddleware; the request logger reuses it.
 * `AppLogger` is what `app.useLogger` installs, so Nest's own lines and every
 * `new Logger(...)` go the same way.
 */
@Module({})
export class LoggingModule {
  static forRoot(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      providers: [
        { provide: LOG_DESTINATION, useValue: destination },
        RequestLogging,
        { provide: AppLogger, inject: [RequestLogging], useFactory: (logging: RequestLogging) => new AppLogger(logging.root) },
      ],
      exports: [RequestLogging, AppLogger],
    };
  }
}
