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
 * that mount either: then the providers would be doing real work.
 */
export function withoutUnmountedEnhancers(module: DynamicModule, options: ClsModuleOptions): DynamicModule {
  if (options.guard?.mount || options.interceptor?.mount) throw new Error('withoutUnmountedEnhancers: the CLS guard or interceptor is mounted; keep its providers');
  const enhancer = (p: Provider) => typeof p === 'object' && (p.provide === APP_GUARD || p.provide === APP_INTERCEPTOR);
  const strip = (entry: unknown): unknown => {
    if (!entry || typeof entry !== 'object' || !('module' in entry)) return entry;
    const dynamic = entry as DynamicModule;
    return { ...dynamic, providers: dynamic.providers?.filter((p) => !enhancer(p)), imports: dynamic.imports?.map(strip) as DynamicModule['imports'] };
  };
  return strip(module) as DynamicModule;
}
