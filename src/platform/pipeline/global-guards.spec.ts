import type { CanActivate, ExecutionContext } from '@nestjs/common';
import { RequestGuards } from './global-guards';

type Answer = boolean | Promise<boolean> | Error;

function guard(name: string, answer: Answer, calls: string[]): CanActivate {
  return {
    canActivate: () => {
      calls.push(name);
      if (answer instanceof Error) throw answer;
      return answer;
    },
  };
}

function chain(answers: Answer[]) {
  const calls: string[] = [];
  const [auth, signature, rate, scopes, shape] = ['auth', 'signature', 'rate', 'scopes', 'shape'].map((name, i) => guard(name, answers[i], calls));
  // The rate limit is asked through count(), which may answer at once; its canActivate is the library's promise.
  const rateLimit = { count: rate.canActivate, canActivate: () => Promise.reject(new Error('canActivate instead of count')) };
  const guards = new RequestGuards(auth as never, signature as never, rateLimit as never, scopes as never, shape as never);
  return { calls, run: () => guards.canActivate({} as ExecutionContext) };
}

describe('RequestGuards', () => {
  it('answers synchronously when every guard does, in the documented order', () => {
    const { calls, run } = chain([true, true, true, true, true]);
    expect(run()).toBe(true);
    expect(calls).toEqual(['auth', 'signature', 'rate', 'scopes', 'shape']);
  });

  it('waits for an asynchronous guard before running the next one', async () => {
    const { calls, run } = chain([Promise.resolve(true), true, Promise.resolve(true), true, true]);
    const verdict = run();
    expect(verdict).toBeInstanceOf(Promise);
    expect(calls).toEqual(['auth']);
    await expect(verdict).resolves.toBe(true);
    expect(calls).toEqual(['auth', 'signature', 'rate', 'scopes', 'shape']);
  });

  it('stops at the first refusal, synchronous or not', async () => {
    const refused = new Error('401');
    const sync = chain([true, refused, true, true, true]);
    expect(() => sync.run()).toThrow(refused);
    expect(sync.calls).toEqual(['auth', 'signature']);

    const later = chain([Promise.resolve(true), true, Promise.reject(refused), true, true]);
    await expect(later.run()).rejects.toBe(refused);
    expect(later.calls).toEqual(['auth', 'signature', 'rate']);

    const no = chain([true, true, true, Promise.resolve(false), true]);
    await expect(no.run()).resolves.toBe(false);
    expect(no.calls).toEqual(['auth', 'signature', 'rate', 'scopes']);
  });
});
