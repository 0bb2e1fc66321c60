import { ApplicationConfig, ModulesContainer } from '@nestjs/core';
import { INTERCEPTORS_METADATA, METHOD_METADATA, ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { GuardsConsumer } from '@nestjs/core/guards/guards-consumer';
import { InterceptorsConsumer } from '@nestjs/core/interceptors/interceptors-consumer';
import { RequestGuards } from '../src/platform/pipeline/global-guards';
import { isMutatingRoute } from '../src/platform/pipeline/mutating-routes';
import { INPUT_VALIDATION, isValidatedInput } from '../src/platform/pipeline/validated-inputs';
import { RequestTransactionInterceptor } from '../src/platform/request-transaction/request-transaction.interceptor';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';

// What each request runs through, read from the app Nest built (not from the
// code that binds it): one global guard on every route, the request
// transaction on mutating routes only, and no interceptor at all on reads
// (an interceptor, even one that does nothing, puts a route through rxjs).
describe('request pipeline', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  it('binds the request transaction to every mutating route of every controller, and no interceptor to reads', () => {
    const handlers: { name: string; mutating: boolean; interceptors: unknown[] }[] = [];
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const { metatype } of module.controllers.values()) {
        const prototype = (metatype as { prototype: object }).prototype;
        for (const name of Object.getOwnPropertyNames(prototype)) {
          const handler = Object.getOwnPropertyDescriptor(prototype, name)?.value as unknown;
          if (name === 'constructor' || typeof handler !== 'function' || Reflect.getMetadata(METHOD_METADATA, handler) === undefined) continue;
          handlers.push({ name: `${(metatype as { name: string }).name}.${name}`, mutating: isMutatingRoute(handler), interceptors: Reflect.getMetadata(INTERCEPTORS_METADATA, handler) ?? [] });
        }
      }
    }
    const mutating = handlers.filter((h) => h.mutating);
    expect(mutating.length).toBeGreaterThanOrEqual(26);
    for (const h of mutating) expect({ route: h.name, first: h.interceptors[0] }).toEqual({ route: h.name, first: RequestTransactionInterceptor });
    for (const h of handlers.filter((r) => !r.mutating)) expect({ route: h.name, interceptors: h.interceptors }).toEqual({ route: h.name, interceptors: [] });
  });

  it('validates every body and query parameter of every route, runs no pipe on any other parameter, and registers no global pipe', () => {
    const validated: string[] = [];
    const others: { param: string; pipes: unknown[] }[] = [];
    for (const module of t.app.get(ModulesContainer).values()) {
      for (const { metatype } of module.controllers.values()) {
        for (const name of Object.getOwnPropertyNames((metatype as { prototype: object }).prototype)) {
          const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, metatype as object, name) ?? {}) as Record<string, { pipes: unknown[] }>;
          for (const [key, arg] of Object.entries(args)) {
            const param = `${(metatype as { name: string }).name}.${name} ${key}`;
            if (isValidatedInput(key)) {
              expect({ param, first: arg.pipes[0] }).toEqual({ param, first: INPUT_VALIDATION });
              validated.push(param);
            } else {
              others.push({ param, pipes: arg.pipes });
            }
          }
        }
      }
    }
    expect(validated.length).toBeGreaterThanOrEqual(22);
    expect(others.filter((o) => o.pipes.length > 0)).toEqual([]);
    expect(t.app.get(ApplicationConfig).getGlobalPipes()).toEqual([]);
  });

  it('runs reads through the request guards and no interceptor, writes through the request transaction', async () => {
    const { key } = await createOrgWithKey(t);
    const guards: unknown[][] = [];
    const interceptors: unknown[][] = [];
    const tryActivate = GuardsConsumer.prototype.tryActivate;
    jest.spyOn(GuardsConsumer.prototype, 'tryActivate').mockImplementation(function (this: GuardsConsumer, ...args: Parameters<typeof tryActivate>) {
      guards.push([...(args[0] ?? [])]);
      return tryActivate.apply(this, args);
    });
    const intercept = InterceptorsConsumer.prototype.intercept;
    jest.spyOn(InterceptorsConsumer.prototype, 'intercept').mockImplementation(function (this: InterceptorsConsumer, ...args: Parameters<typeof intercept>) {
      interceptors.push([...(args[0] ?? [])]);
      return intercept.apply(this, args);
    });
    const names = (list: unknown[][]) => list.map((l) => l.map((x) => (x as object).constructor.name));

    const validations = jest.spyOn(INPUT_VALIDATION, 'transform');

    await t.http.get('/health/live').expect(200);
    const created = await t.http.post('/v1/releases').set('X-API-Key', key).set('Idempotency-Key', 'pipeline-1').send({ title: 'Pipeline', artists: ['A'] }).expect(201);
    await t.http.get(`/v1/releases/${created.body.id}`).set('X-API-Key', key).expect(200);

    expect(names(guards)).toEqual([['RequestGuards'], ['RequestGuards'], ['RequestGuards']]);
    expect(guards[0][0]).toBeInstanceOf(RequestGuards);
    expect(names(interceptors)).toEqual([[], ['RequestTransactionInterceptor'], []]);
    // The POST's body only: neither the GET's path id nor either request's principal runs a pipe.
    expect(validations.mock.calls.map(([, metadata]) => metadata.type)).toEqual(['body']);
  });
});
