import { RequestMethod, type DynamicModule, type ForwardReference, type Type } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, MODULE_METADATA } from '@nestjs/common/constants';
import { MUTATING_METHODS } from '../http/http-methods';
import { RequestTransactionInterceptor } from '../request-transaction/request-transaction.interceptor';

export type ModuleEntry = Type | DynamicModule | ForwardReference | Promise<DynamicModule>;

/**
 * Binds RequestTransactionInterceptor to every mutating handler (POST, PUT,
 * PATCH, DELETE, and @All) of the controllers the given modules declare,
 * recursively through their imports, instead of registering it globally.
 *
 * Why not global: Nest runs a route with any interceptor through rxjs
 * (observables, `defer`, `lastValueFrom`, an AsyncResource per call), and a
 * route with none straight to its handler. The interceptor has nothing to do
 * on a read, yet as a global one it cost every read that machinery: ≈ 40 µs
 * of CPU per request, a quarter of `/health/live` (BENCHMARKS.md).
 *
 * Runs before Nest scans the modules (AppModule.forRoot), so the scanner
 * registers the interceptor as each controller module's own injectable, ahead
 * of any interceptor the handler declares itself (it used to run first as a
 * global one). Idempotent: apps built one after another in one process bind
 * the same classes once.
 */
export function bindRequestTransaction(modules: readonly ModuleEntry[]): void {
  controllersOf(modules).forEach(bindController);
}

/**
 * The controllers the given modules declare, recursively through their
 * imports (each once), as Nest's scanner will find them; for bindings made
 * before it scans (this file, validated-inputs.ts).
 */
export function controllersOf(modules: readonly ModuleEntry[]): Type[] {
  const seen = new Set<unknown>();
  const controllers = new Set<Type>();
  const visit = (entry: ModuleEntry | undefined): void => {
    if (!entry || seen.has(entry)) return;
    seen.add(entry);
    // Libraries' asynchronous modules (none declares a route); the tests that
    // every route of the app is bound would catch one that did.
    if (entry instanceof Promise) return;
    if ('forwardRef' in entry) return visit(entry.forwardRef() as ModuleEntry);
    const dynamic = 'module' in entry ? entry : undefined;
    const moduleClass = dynamic ? dynamic.module : (entry as Type);
    const declared = <T>(key: string): T[] => [...((Reflect.getMetadata(key, moduleClass) as T[] | undefined) ?? [])];
    for (const controller of [...declared<Type>(MODULE_METADATA.CONTROLLERS), ...(dynamic?.controllers ?? [])]) controllers.add(controller);
    for (const imported of [...declared<ModuleEntry>(MODULE_METADATA.IMPORTS), ...((dynamic?.imports ?? []) as ModuleEntry[])]) visit(imported);
  };
  modules.forEach(visit);
  return [...controllers];
}

/** Whether a handler's route method changes state (and so runs in the request transaction). */
export function isMutatingRoute(handler: unknown): boolean {
  const method = Reflect.getMetadata(METHOD_METADATA, handler as object) as RequestMethod | undefined;
  if (method === undefined) return false;
  return method === RequestMethod.ALL || MUTATING_METHODS.has(RequestMethod[method]);
}

function bindController(controller: Type): void {
  const prototype = controller.prototype as object;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    // The descriptor, not prototype[name]: reading a getter would run it.
    const handler = name === 'constructor' ? undefined : Object.getOwnPropertyDescriptor(prototype, name)?.value;
    if (typeof handler !== 'function' || !isMutatingRoute(handler)) continue;
    const bound = (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [];
    if (bound.includes(RequestTransactionInterceptor)) continue;
    Reflect.defineMetadata(INTERCEPTORS_METADATA, [RequestTransactionInterceptor, ...bound], handler);
  }
}
