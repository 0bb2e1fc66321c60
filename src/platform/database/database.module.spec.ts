import type { DynamicModule, Provider } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { ClsModule } from 'nestjs-cls';
import { withoutUnmountedEnhancers } from './database.module';

function providersOf(module: DynamicModule): Provider[] {
  return [...(module.providers ?? []), ...(module.imports ?? []).flatMap((m) => (typeof m === 'object' && 'module' in m ? providersOf(m as DynamicModule) : []))];
}
const tokens = (module: DynamicModule) => providersOf(module).map((p) => (typeof p === 'object' ? p.provide : p));

describe('withoutUnmountedEnhancers', () => {
  it('finds the global guard and interceptor nestjs-cls registers unmounted (the reason it exists)', () => {
    const module = ClsModule.forRoot({ global: true });
    expect(tokens(module)).toEqual(expect.arrayContaining([APP_GUARD, APP_INTERCEPTOR]));
  });

  it('leaves them out and keeps every other provider', () => {
    const module = ClsModule.forRoot({ global: true });
    const kept = tokens(withoutUnmountedEnhancers(module, { global: true }));
    expect(kept).not.toContain(APP_GUARD);
    expect(kept).not.toContain(APP_INTERCEPTOR);
    expect(kept).toEqual(tokens(module).filter((t) => t !== APP_GUARD && t !== APP_INTERCEPTOR));
  });

  it('refuses options that mount the guard or the interceptor', () => {
    for (const options of [{ guard: { mount: true } }, { interceptor: { mount: true } }]) {
      expect(() => withoutUnmountedEnhancers(ClsModule.forRoot(options), options)).toThrow(/mounted/);
    }
  });
});

describe('withoutUnmountedEnhancers, on what it must not drop', () => {
  it('refuses a module holding a second global guard or interceptor', () => {
    const module = ClsModule.forRoot({ global: true });
    const extra: DynamicModule = { module: class Extra {}, providers: [{ provide: APP_INTERCEPTOR, useValue: { intercept: () => undefined } }] };
    expect(() => withoutUnmountedEnhancers({ ...module, imports: [...(module.imports ?? []), extra] }, { global: true })).toThrow(/more than one/);
  });
});
