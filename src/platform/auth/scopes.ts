/** The scopes of API.md §1. There is deliberately no wildcard. */
export const SCOPES = [
  'releases:read',
  'releases:write',
  'releases:publish',
  'uploads:read',
  'uploads:write',
  'webhooks:read',
  'webhooks:write',
  'keys:read',
  'keys:write',
  'audit:read',
] as const;

export type Scope = (typeof SCOPES)[number];

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** The scopes in `wanted` that `held` lacks, in `wanted`'s order. */
export function missingScopes(held: readonly string[], wanted: readonly string[]): string[] {
  return wanted.filter((scope) => !held.includes(scope));
}
