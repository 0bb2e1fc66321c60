/** The scopes of API guide: Authentication. There is deliberately no wildcard. */
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

/** What each scope allows, as the OpenAPI oauth2 scheme and the token metadata describe it. */
export const SCOPE_DESCRIPTIONS: Record<Scope, string> = {
  'releases:read': 'Read releases and their tracks.',
  'releases:write': 'Create, change, submit and delete draft releases and their tracks.',
  'releases:publish': 'Back-office lifecycle transitions (approve, reject, go live, take down).',
  'uploads:read': 'Read uploads and download their content.',
  'uploads:write': 'Upload audio masters and attach them to tracks.',
  'webhooks:read': 'Read webhook endpoints and their deliveries.',
  'webhooks:write': 'Register, change, test and delete webhook endpoints; redeliver messages.',
  'keys:read': 'Read API key metadata.',
  'keys:write': 'Create, rotate and revoke API keys.',
  'audit:read': 'Read and verify the audit trail.',
};

export function isScope(value: unknown): value is Scope {
  return typeof value === 'string' && (SCOPES as readonly string[]).includes(value);
}

/** The scopes in `wanted` that `held` lacks, in `wanted`'s order. */
export function missingScopes(held: readonly string[], wanted: readonly string[]): string[] {
  return wanted.filter((scope) => !held.includes(scope));
}
