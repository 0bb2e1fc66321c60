import type { ExecutionContext, Type } from '@nestjs/common';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host';
import { Reflector } from '@nestjs/core';
import { InsufficientScope } from './auth-errors';
import type { AuthPrincipal } from './principal';
import { Public } from './public.decorator';
import { Scopes } from './scopes.decorator';
import { ScopesGuard } from './scopes.guard';

class Routes {
  @Scopes('keys:read')
  read(): void {}

  @Scopes('keys:read', 'keys:write')
  readAndWrite(): void {}

  @Public()
  open(): void {}

  forgotten(): void {}
}

@Scopes('releases:read')
class ScopedController {
  list(): void {}

  @Scopes('releases:write')
  create(): void {}
}

function context(target: object, handler: (...args: never[]) => unknown, principal?: Partial<AuthPrincipal>): ExecutionContext {
  return new ExecutionContextHost([{ principal }, {}], target as Type, handler);
}

const principal = (...scopes: string[]): Partial<AuthPrincipal> => ({ orgId: 'org_1', keyId: 'key_1', credential: 'api_key', scopes: scopes as AuthPrincipal['scopes'] });

describe('ScopesGuard', () => {
  const guard = new ScopesGuard(new Reflector());
  const routes = Routes.prototype;

  it('lets a credential holding every required scope through', () => {
    expect(guard.canActivate(context(Routes, routes.read, principal('keys:read')))).toBe(true);
    expect(guard.canActivate(context(Routes, routes.readAndWrite, principal('keys:write', 'keys:read', 'audit:read')))).toBe(true);
  });

  it('refuses with 403 naming every missing scope', () => {
    let thrown: unknown;
    try {
      guard.canActivate(context(Routes, routes.readAndWrite, principal('keys:read')));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(InsufficientScope);
    const problem = (thrown as InsufficientScope).toProblem();
    expect(problem).toMatchObject({ status: 403, missingScopes: ['keys:write'] });
    expect(problem.detail).toContain('keys:write');
  });

  it('treats a request without a principal as holding nothing', () => {
    expect(() => guard.canActivate(context(Routes, routes.read))).toThrow(InsufficientScope);
  });

  it('fails closed on an authenticated route that declares no scope', () => {
    expect(() => guard.canActivate(context(Routes, routes.forgotten, principal('keys:read', 'keys:write')))).toThrow(/declares neither @Public\(\) nor @Scopes\(\)/);
  });

  it('lets @Public() routes through without a principal', () => {
    expect(guard.canActivate(context(Routes, routes.open))).toBe(true);
  });

  it('uses the handler’s scopes over the controller’s, and the controller’s when the handler has none', () => {
    const controller = ScopedController.prototype;
    expect(guard.canActivate(context(ScopedController, controller.list, principal('releases:read')))).toBe(true);
    expect(() => guard.canActivate(context(ScopedController, controller.create, principal('releases:read')))).toThrow(InsufficientScope);
    expect(guard.canActivate(context(ScopedController, controller.create, principal('releases:write')))).toBe(true);
  });

  it('gives no credit for a wildcard held by a principal', () => {
    expect(() => guard.canActivate(context(Routes, routes.read, principal('*')))).toThrow(InsufficientScope);
  });
});
