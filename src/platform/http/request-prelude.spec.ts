import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { inSequence } from './request-prelude';

function run(prelude: RequestHandler): { outcome: unknown[] } {
  const outcome: unknown[] = [];
  prelude({} as Request, {} as Response, ((error?: unknown) => outcome.push(error === undefined ? 'done' : error)) as NextFunction);
  return { outcome };
}

describe('inSequence', () => {
  const step = (name: string, calls: string[], then: (next: NextFunction) => void = (next) => next()): RequestHandler => (_req, _res, next) => {
    calls.push(name);
    then(next);
  };

  it('runs every step in order, then goes on', () => {
    const calls: string[] = [];
    const { outcome } = run(inSequence([step('a', calls), step('b', calls), step('c', calls)]));
    expect(calls).toEqual(['a', 'b', 'c']);
    expect(outcome).toEqual(['done']);
  });

  it('hands an error passed to next to Express, and runs no later step', () => {
    const calls: string[] = [];
    const refusal = new Error('refused');
    const { outcome } = run(inSequence([step('a', calls), step('b', calls, (next) => next(refusal)), step('c', calls)]));
    expect(calls).toEqual(['a', 'b']);
    expect(outcome).toEqual([refusal]);
  });

  it('treats a step that throws like next(error)', () => {
    const calls: string[] = [];
    const thrown = new Error('thrown');
    const { outcome } = run(inSequence([step('a', calls, () => { throw thrown; }), step('b', calls)]));
    expect(calls).toEqual(['a']);
    expect(outcome).toEqual([thrown]);
  });

  it('stops when a step answers the request itself (does not call next)', () => {
    const calls: string[] = [];
    const { outcome } = run(inSequence([step('a', calls, () => undefined), step('b', calls)]));
    expect(calls).toEqual(['a']);
    expect(outcome).toEqual([]);
  });

  it('starts over for every request', () => {
    const calls: string[] = [];
    const prelude = inSequence([step('a', calls), step('b', calls)]);
    run(prelude);
    run(prelude);
    expect(calls).toEqual(['a', 'b', 'a', 'b']);
  });
});

describe('inSequence with a step that goes on later', () => {
  it('runs the following steps once it does, and hands their errors on', async () => {
    const calls: string[] = [];
    const failure = new Error('later step failed');
    const outcome: unknown[] = [];
    const finished = new Promise<void>((resolve) => {
      const prelude = inSequence([
        (_req, _res, next) => {
          calls.push('reads body');
          setImmediate(() => next());
        },
        () => {
          calls.push('throws');
          throw failure;
        },
      ]);
      prelude({} as Request, {} as Response, ((error?: unknown) => {
        outcome.push(error);
        resolve();
      }) as NextFunction);
    });
    await finished;
    expect(calls).toEqual(['reads body', 'throws']);
    expect(outcome).toEqual([failure]);
  });
});
