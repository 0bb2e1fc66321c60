import { DynamicModule, Global, Module, type Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ClsPluginTransactional } from '@nestjs-cls/transactional';
import { TransactionalAdapterPrisma } from '@nestjs-cls/transactional-adapter-prisma';
import { ClsModule, type ClsModuleOptions } from 'nestjs-cls';
import { PrismaService } from './prisma.service';

@Global()
@Module({ providers: [PrismaService], exports: [PrismaService] })
class PrismaModule {}

const CLS_OPTIONS: ClsModuleOptions = {
  global: true,
  plugins: [
    new ClsPluginTransactional({
      imports: [PrismaModule],
      adapter: new TransactionalAdapterPrisma({
        prismaInjectionToken: PrismaService,
        sqlFlavor: 'postgresql',
      }),
    }),
  ],
};

/**
 * The Prisma client and its transaction host (`Db`). No CLS middleware,
 * guard or interceptor is mounted: a context exists only while a transaction
 * runs (withTransaction opens one), so reads outside transactions pay nothing
 * for it.
 */
@Global()
@Module({
  imports: [PrismaModule, withoutUnmountedEnhancers(ClsModule.forRoot(CLS_OPTIONS), CLS_OPTIONS)],
  exports: [PrismaModule],
})
export class DatabaseModule {}

/**
 * nestjs-cls registers a global guard and a global interceptor whether or not
 * they are mounted; unmounted, they only pass the request on. A global
 * interceptor alone puts every route through Nest's rxjs interceptor chain
 * (≈ 40 µs of CPU per request, pipeline/mutating-routes.ts), so those two
 * providers are left out of the module nestjs-cls builds. Refuses options
 * that mount either (the providers would then do real work), and a module
 * holding more than one of each: something else would be dropped with them.
 */
export function withoutUnmountedEnhancers(module: DynamicModule, options: ClsModuleOptions): DynamicModule {
  if (options.guard?.mount || options.interceptor?.mount) throw new Error('withoutUnmountedEnhancers: the CLS guard or interceptor is mounted; keep its providers');
  const removed = new Map<unknown, number>([
    [APP_GUARD, 0],
    [APP_INTERCEPTOR, 0],
  ]);
  const enhancer = (p: Provider) => typeof p === 'object' && removed.has(p.provide);
  const strip = (entry: unknown): unknown => {
    if (!entry || typeof entry !== 'object' || !('module' in entry)) return entry;
    const dynamic = entry as DynamicModule;
    const providers = dynamic.providers?.filter((p) => {
      if (!enhancer(p)) return true;
      const token = (p as { provide: unknown }).provide;
      removed.set(token, removed.get(token)! + 1);
      return false;
    });
    return { ...dynamic, providers, imports: dynamic.imports?.map(strip) as DynamicModule['imports'] };
  };
  const stripped = strip(module) as DynamicModule;
  if ([...removed.values()].some((n) => n > 1)) throw new Error('withoutUnmountedEnhancers: nestjs-cls built more than one global guard or interceptor; check which before leaving them out');
  return stripped;
}
