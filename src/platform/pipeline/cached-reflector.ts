import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';

/**
 * Nest's Reflector, remembering each answer per (target, key). Route metadata
 * is fixed once the classes are decorated, yet the global guards and the
 * interceptor ask for it on every request — @nestjs/throttler alone asks six
 * questions per named throttler — and each answer walks reflect-metadata's
 * maps. Provided under the Reflector token for the app's global guards and
 * interceptor (see global-guards.ts).
 */
@Injectable()
export class CachedReflector extends Reflector {
  private readonly answers = new WeakMap<object, Map<unknown, unknown>>();

  override get(metadataKeyOrDecorator: never, target: never): never {
    const key = (metadataKeyOrDecorator as { KEY?: unknown } | undefined)?.KEY ?? metadataKeyOrDecorator;
    let known = this.answers.get(target as object);
    if (!known) {
      known = new Map();
      this.answers.set(target as object, known);
    }
    if (known.has(key)) return known.get(key) as never;
    const answer: unknown = super.get(metadataKeyOrDecorator, target);
    known.set(key, answer);
    return answer as never;
  }
}
