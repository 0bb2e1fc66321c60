import type { LoggerService } from '@nestjs/common';
import type { Level, Logger } from 'pino';
import { currentRequestLogger } from './request-log-context';

/**
 * Nest's logger (`app.useLogger`): every `new Logger(context)` in the code
 * writes through pino, into the current request's logger when there is one
 * (its lines then carry the request id), else into the app's root logger.
 *
 * Call shapes it accepts, as Nest's Logger forwards them: a message string or
 * a pino merging object first (an Error becomes `err`), then pino's own
 * arguments, then the context name last whenever the Logger has one.
 *
 * Written here rather than taken from nestjs-pino: that library enters its
 * request context through a catch-all Express route registered for every
 * method (3–4 KiB per request, BENCHMARKS.md "Sixth look"), does not export
 * the context to enter it elsewhere, and keeps one logger per process.
 */
export class AppLogger implements LoggerService {
  constructor(private readonly root: Logger) {}

  verbose(message: unknown, ...optionalParams: unknown[]): void {
    this.write('trace', message, optionalParams);
  }
  debug(message: unknown, ...optionalParams: unknown[]): void {
    this.write('debug', message, optionalParams);
  }
  log(message: unknown, ...optionalParams: unknown[]): void {
    this.write('info', message, optionalParams);
  }
  warn(message: unknown, ...optionalParams: unknown[]): void {
    this.write('warn', message, optionalParams);
  }
  error(message: unknown, ...optionalParams: unknown[]): void {
    this.write('error', message, optionalParams);
  }
  fatal(message: unknown, ...optionalParams: unknown[]): void {
    this.write('fatal', message, optionalParams);
  }

  private write(level: Level, message: unknown, optionalParams: unknown[]): void {
    const logger = currentRequestLogger() ?? this.root;
    if (!logger.isLevelEnabled(level)) return;
    const fields: Record<string, unknown> = {};
    let params = optionalParams;
    if (params.length > 0) {
      fields.context = params[params.length - 1];
      params = params.slice(0, -1);
    }
    const write = logger[level].bind(logger) as (fields: object, ...rest: unknown[]) => void;
    if (message instanceof Error) {
      fields.err = message;
      write(fields, ...params);
    } else if (typeof message === 'object' && message !== null) {
      write(Object.assign(fields, message), ...params);
    } else if (isStackTraceCall(level, message, params)) {
      // Nest's own exception handlers call error(message, stack, context).
      const err = new Error(message as string);
      err.stack = params[0] as string;
      fields.err = err;
      write(fields);
    } else {
      write(fields, message, ...params);
    }
  }
}

function isStackTraceCall(level: Level, message: unknown, params: unknown[]): boolean {
  return level === 'error' && typeof message === 'string' && params.length === 1 && typeof params[0] === 'string' && /\n\s*at /.test(params[0]);
}
