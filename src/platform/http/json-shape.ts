import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { BadRequest } from '../errors/domain-errors';
import { queryOf, requestOf } from './http-context';

/**
 * Shapes no endpoint accepts, refused before any handler, pipe or interceptor
 * (validation, class-transformer, the audit trail, PostgreSQL) sees them, and
 * after authentication, so the refusal is audited as the caller's:
 * - nesting deeper than MAX_DEPTH (recursive code downstream would overflow
 *   the stack: a 500 from a 10 KiB body);
 * - U+0000 in the body or the query (PostgreSQL text cannot hold it; it only
 *   ever arrives to smuggle or to crash; in a path it reaches an id lookup,
 *   which finds nothing);
 * - `__proto__`, `constructor` and `prototype` as keys (API guide: Conventions refuses
 *   unknown properties; these three are the ones that can reach prototypes).
 * Iterative on purpose: the check itself must not recurse on hostile input.
 */
export const MAX_JSON_DEPTH = 32;
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

export interface ShapeProblem {
  message: string;
  /** Dotted path of the offending value, as validation errors name fields. */
  field: string;
}

export function jsonShapeProblem(value: unknown): ShapeProblem | undefined {
  const stack: Array<[unknown, number, string]> = [[value, 1, '']];
  while (stack.length > 0) {
    const [current, depth, field] = stack.pop()!;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return { field, message: `${field || 'value'} must not contain a NUL character` };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (depth > MAX_JSON_DEPTH) return { field, message: `the body must not be nested deeper than ${MAX_JSON_DEPTH} levels` };
    const child = (key: string) => (field ? `${field}.${key}` : key);
    if (Array.isArray(current)) {
      current.forEach((item, index) => stack.push([item, depth + 1, child(String(index))]));
      continue;
    }
    for (const key of Object.keys(current)) {
      if (FORBIDDEN_KEYS.has(key)) return { field: child(key), message: `${child(key)} is not a recognised property` };
      if (key.includes('\u0000')) return { field, message: 'property names must not contain a NUL character' };
      stack.push([(current as Record<string, unknown>)[key], depth + 1, child(key)]);
    }
  }
  return undefined;
}

@Injectable()
export class BodyShapeGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const req = requestOf(context);
    const query = queryOf(req);
    const problem = (query === undefined ? undefined : jsonShapeProblem(query)) ?? (req.body === undefined ? undefined : jsonShapeProblem(req.body));
    if (problem) throw new BadRequest('The request is invalid.', [problem]);
    return true;
  }
}
