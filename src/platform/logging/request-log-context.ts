import { AsyncLocalStorage } from 'node:async_hooks';
import type { Logger } from 'pino';

/**
 * The logger of the request being served, for lines written by code that has
 * no request in hand (a service's `new Logger(...)`): such a line carries the
 * request id like the request's own. Entered once per request by the request
 * prelude (logging.module.ts), so it costs one context frame, not a route.
 */
const requestLoggers = new AsyncLocalStorage<Logger>();

export function runWithRequestLogger(logger: Logger, next: () => void): void {
  requestLoggers.run(logger, next);
}

export function currentRequestLogger(): Logger | undefined {
  return requestLoggers.getStore();
}
