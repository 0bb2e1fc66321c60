import type { IncomingMessage } from 'node:http';
import { pino, type Logger } from 'pino';

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
const requestIdOf = (req: IncomingMessage) => (req as IncomingMessage & { id?: string }).id;

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
