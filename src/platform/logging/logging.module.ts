import { DynamicModule, Module } from '@nestjs/common';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LoggerModule } from 'nestjs-pino';
import type { DestinationStream } from 'pino';
import { AppConfig } from '../../config/app-config';
import { REDACT_PATHS, pickLoggedHeaders, redactUrl } from './log-redaction';

/**
 * Structured JSON logs (pino) with the request id on every line. The request
 * id itself is assigned earlier by requestIdMiddleware; pino-http reuses it.
 */
@Module({})
export class LoggingModule {
  static forRoot(destination?: DestinationStream): DynamicModule {
    return {
      module: LoggingModule,
      imports: [
        LoggerModule.forRootAsync({
          inject: [AppConfig],
          useFactory: (config: AppConfig) => ({
            pinoHttp: [
              {
                level: config.logLevel,
                genReqId: (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id ?? 'unknown',
                redact: { paths: REDACT_PATHS, censor: '[REDACTED]' },
                customProps: (req: IncomingMessage) => ({ requestId: (req as IncomingMessage & { id?: string }).id }),
                serializers: {
                  req: (req: { id: string; method: string; url: string; headers: Record<string, unknown>; remoteAddress?: string }) => ({
                    id: req.id,
                    method: req.method,
                    url: redactUrl(req.url),
                    headers: pickLoggedHeaders(req.headers),
                    remoteAddress: req.remoteAddress,
                  }),
                  res: (res: ServerResponse & { statusCode: number }) => ({ statusCode: res.statusCode }),
                },
                // Request lines are logged at info: above that level, skip building
                // them at all. Health probes would drown the log.
                autoLogging: ['fatal', 'error', 'warn', 'silent'].includes(config.logLevel)
                  ? false
                  : { ignore: (req: IncomingMessage) => req.url?.startsWith('/health/') ?? false },
              },
              destination,
            ].filter((x) => x !== undefined) as never,
          }),
        }),
      ],
    };
  }
}
