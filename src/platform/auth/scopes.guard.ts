import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { requestOf } from '../http/http-context';
import { InsufficientScope } from './auth-errors';
import { principalOf } from './principal';
import { IS_PUBLIC } from './public.decorator';
import { REQUIRED_SCOPES } from './scopes.decorator';
import { missingScopes } from './scopes';

/**
 * Runs after AuthGuard. Fails closed: an authenticated route that declares no
 * @Scopes() is refused, so forgetting the decorator can never open a route.
 */
@Injectable()
export class ScopesGuard implements CanActivate {
  constructor(private readonly reflector: Reflector) {}

  canActivate(context: ExecutionContext): boolean {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, targets)) return true;
    const required = this.reflector.getAllAndOverride<string[] | undefined>(REQUIRED_SCOPES, targets);
    if (!required || required.length === 0) {
      throw new Error(`Route ${context.getClass().name}.${context.getHandler().name} declares neither @Public() nor @Scopes()`);
    }
    const principal = principalOf(requestOf(context));
    const missing = missingScopes(principal?.scopes ?? [], required);
    if (missing.length > 0) throw new InsufficientScope(missing);
    return true;
  }
}
