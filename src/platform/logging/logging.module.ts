import { DynamicModule, Inject, Injectable, Module, Optional } from '@nestjs/common';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule, type Params } from 'nestjs-pino';
import { pino, type DestinationStream, type Logger } from 'pino';
import { wrapRequestSerializer, wrapResponseSerializer } from 'pino-std-serializers';
import { AppConfig } from '../../config/app-config';
import { REDACT_PATHS, pickLoggedHeaders, redactUrl } from './log-redaction';

const LOG_DESTINATION = Symbol('LogDestination');
const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;

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

/**
 * How requests get their logger. Request lines are logged at info; at info or
 * below pino-http writes them (and builds each request's child logger, which
 * they need). Above info no request line is written, so pino-http is not
 * mounted at all: `middleware` gives each request a logger that builds its
 * child (request and request id bound) only when a line at an enabled level
 * is actually written — the common request writes none and pays nothing.
 */
@Injectable()
export class RequestLogging {
  readonly linesLogged: boolean;
  /** The per-request logger's parent when request lines are off. */
  private readonly root?: Logger;

  constructor(config: AppConfig, @Optional() @Inject(LOG_DESTINATION) private readonly destination?: DestinationStream) {
    this.linesLogged = !['fatal', 'error', 'warn', 'silent'].includes(config.logLevel);
    if (!this.linesLogged) {
      const options = {
        level: config.logLevel,
        redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
        serializers: { req: wrapRequestSerializer(serializers.req as never), res: wrapResponseSerializer(serializers.res as never) },
      };
      this.root = destination ? pino(options, destination) : pino(options);
    }
  }

  params(config: AppConfig): Params {
    if (this.root) return { pinoHttp: { logger: this.root, autoLogging: false, wrapSerializers: false }, useExisting: true };
    return {
      pinoHttp: [
        {
          level: config.logLevel,
          genReqId: (req: IncomingMessage) => requestIdOf(req) ?? 'unknown',
          redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
          customProps: (req: IncomingMessage) => ({ requestId: requestIdOf(req) }),
          serializers,
          // Health probes would drown the log.
          autoLogging: { ignore: (req: IncomingMessage) => req.url?.startsWith('/health/') ?? false },
        },
        this.destination,
      ].filter((x) => x !== undefined) as never,
    };
  }

  /** Mounted right after the request id is assigned (configure-http.ts); undefined when pino-http does the work. */
  get middleware(): RequestHandler | undefined {
    const root = this.root;
    if (!root) return undefined;
    return (req: Request, _res: Response, next: NextFunction) => {
      (req as Request & { log?: Logger }).log = lazyRequestLogger(root, req);
      next();
    };
  }
}

const REQUEST = Symbol('lazyLogger.request');
const CHILD = Symbol('lazyLogger.child');
type LazyLogger = Logger & { [REQUEST]: IncomingMessage; [CHILD]?: Logger };

/**
 * What the lazy loggers of one root share: the level methods and the rest,
 * each building the request's child on first use. Kept per root, so a request
 * allocates one small object (its logger) instead of a closure per method.
 */
const lazyPrototypes = new WeakMap<Logger, object>();
function lazyPrototypeOf(root: Logger): object {
  let prototype = lazyPrototypes.get(root);
  if (prototype) return prototype;
  const proto = Object.create(root) as Record<string, unknown>;
  const real = (lazy: LazyLogger) => (lazy[CHILD] ??= root.child({ req: lazy[REQUEST], requestId: requestIdOf(lazy[REQUEST]) }));
  for (const level of LEVELS) {
    proto[level] = function (this: LazyLogger, ...args: unknown[]) {
      if (root.isLevelEnabled(level)) (real(this)[level] as (...a: unknown[]) => void)(...args);
    };
  }
  proto.child = function (this: LazyLogger, bindings: pino.Bindings, options?: pino.ChildLoggerOptions) {
    return real(this).child(bindings, options);
  };
  proto.bindings = function (this: LazyLogger) {
    return real(this).bindings();
  };
  proto.setBindings = function (this: LazyLogger, bindings: pino.Bindings) {
    real(this).setBindings(bindings);
  };
  lazyPrototypes.set(root, proto);
  return proto;
}

/** A logger for one request whose child logger is built on the first line written at an enabled level. */
export function lazyRequestLogger(root: Logger, req: IncomingMessage): Logger {
  const lazy = Object.create(lazyPrototypeOf(root)) as LazyLogger;
  lazy[REQUEST] = req;
  return lazy;
}

@Module({})
class RequestLoggingModule {}

/**
 * Structured JSON logs (pino) with the request id on every line. The request
 * id itself is assigned earlier by requestIdMiddleware; pino-http reuses it.
 */
@Module({})
export class LoggingModule {
  static forRoot(destination?: DestinationStream): DynamicModule {
    const requestLogging: DynamicModule = {
      module: RequestLoggingModule,
      providers: [{ provide: LOG_DESTINATION, useValue: destination }, RequestLogging],
      exports: [RequestLogging],
    };
    return {
      module: LoggingModule,
      imports: [
        requestLogging,
        LoggerModule.forRootAsync({
          imports: [requestLogging],
          inject: [AppConfig, RequestLogging],
          useFactory: (config: AppConfig, logging: RequestLogging) => logging.params(config),
        }),
      ],
      exports: [requestLogging],
    };
  }
}
