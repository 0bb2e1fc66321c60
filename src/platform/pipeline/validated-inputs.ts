import type { PipeTransform, Type } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { createValidationPipe } from '../http/validation';
import { controllersOf, type ModuleEntry } from './mutating-routes';

/** The parameters a client's input arrives in as a DTO: the JSON body and the query string. */
const VALIDATED_PARAMTYPES = new Set<number>([RouteParamtypes.BODY, RouteParamtypes.QUERY]);

/** One instance for every app built in the process: it holds no state, and binding it twice is recognised. */
export const INPUT_VALIDATION: PipeTransform = createValidationPipe();

type RouteArg = { index: number; data?: unknown; pipes?: unknown[] };

/**
 * Binds DTO validation (validation.ts) to every `@Body()` and `@Query()`
 * parameter of the controllers the given modules declare, recursively
 * through their imports, instead of registering it as a global pipe.
 *
 * Why not global: Nest runs a global pipe on every pipeable parameter of
 * every route, path ids and custom decorators (`@Principal()`) included,
 * where ValidationPipe has nothing to check; each one still costs an async
 * call and its promises. A parameter without pipes is handed over as
 * extracted, so `GET /v1/releases/:id` now runs no pipe at all
 * (BENCHMARKS.md, "Fifth look"). What ValidationPipe did on the rest stays
 * as it was: it skips custom decorators, and on a path parameter declared as
 * `string` it returns the string it was given.
 *
 * Runs before Nest scans the modules, like bindRequestTransaction, and ahead
 * of any pipe the parameter declares itself (as a global pipe ran first).
 * `test/request-pipeline.e2e-spec.ts` checks the app Nest built: every body
 * and query parameter is validated, nothing else runs a pipe, and no global
 * pipe is registered.
 */
export function bindInputValidation(modules: readonly ModuleEntry[], pipe: PipeTransform = INPUT_VALIDATION): void {
  for (const controller of controllersOf(modules)) bindController(controller, pipe);
}

/** Whether a route argument, by its metadata key (`<paramtype>:<index>`), carries a client's DTO. */
export function isValidatedInput(argKey: string): boolean {
  return VALIDATED_PARAMTYPES.has(Number(argKey.split(':')[0]));
}

function bindController(controller: Type, pipe: PipeTransform): void {
  const prototype = controller.prototype as object;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    if (name === 'constructor') continue;
    const args = Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, name) as Record<string, RouteArg> | undefined;
    if (!args) continue;
    let changed = false;
    const bound: Record<string, RouteArg> = {};
    for (const [key, arg] of Object.entries(args)) {
      const pipes = arg.pipes ?? [];
      if (isValidatedInput(key) && !pipes.includes(pipe)) {
        bound[key] = { ...arg, pipes: [pipe, ...pipes] };
        changed = true;
      } else {
        bound[key] = arg;
      }
    }
    if (changed) Reflect.defineMetadata(ROUTE_ARGS_METADATA, bound, controller, name);
  }
}
