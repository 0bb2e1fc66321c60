import type { NextFunction, Request, RequestHandler, Response } from 'express';

/**
 * Middleware that every request runs through, in the given order, as one
 * Express layer. Express's router spends a layer visit per middleware (path
 * match, its own `next`, a try/catch, re-reading the path): measured on
 * `/health/live`, the router was a tenth of musicpub's CPU against 1.5 % of
 * the bare framework's, for steps that never depend on the path.
 *
 * Each step is an ordinary middleware: `next()` goes on to the following
 * step, `next(error)` hands the error to Express as its own layer would, a
 * step that answers the request simply does not call `next`, and a step that
 * throws is treated like `next(error)`. A step may call `next` later (a body
 * parser does, once the body is read). Express's `next('route')` has no
 * meaning here and is handed on like an error.
 */
export function inSequence(steps: readonly RequestHandler[]): RequestHandler {
  const sequence = [...steps];
  return function requestPrelude(req: Request, res: Response, done: NextFunction): void {
    let index = 0;
    const next: NextFunction = (error?: unknown) => {
      if (error !== undefined && error !== null) return done(error);
      const step = sequence[index++];
      if (step === undefined) return done();
      try {
        step(req, res, next);
      } catch (thrown) {
        done(thrown);
      }
    };
    next();
  };
}
