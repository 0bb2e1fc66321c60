// Data factories: each test makes its own organization, so files and tests
// never share mutable fixtures.
import { randomUUID } from 'node:crypto';
import { OrganizationBootstrap } from '../../src/modules/api-keys/organization-bootstrap.service';
import { SCOPES, Scope } from '../../src/platform/auth/scopes';
import type { TestApp } from './test-app';

export interface OrgWithKey {
  orgId: string;
  keyId: string;
  key: string;
}

/**
 * A new organization and a key holding `scopes` (every scope by default),
 * made through the same services the CLI uses and the HTTP API.
 */
export async function createOrgWithKey(t: TestApp, scopes: readonly Scope[] = SCOPES): Promise<OrgWithKey> {
  const admin = await t.app.get(OrganizationBootstrap).createOrganization(`Test org ${randomUUID().slice(0, 8)}`);
  if (scopes.length === SCOPES.length && SCOPES.every((s) => scopes.includes(s))) return admin;
  const res = await t.http
    .post('/v1/api-keys')
    .set('X-API-Key', admin.key)
    .send({ name: 'scoped test key', scopes });
  if (res.status !== 201) throw new Error(`could not create a scoped key: ${res.status} ${JSON.stringify(res.body)}`);
  return { orgId: admin.orgId, keyId: res.body.id as string, key: res.body.key as string };
}

/** An access token for `key` through the real token endpoint. */
export async function tokenFor(t: TestApp, credentials: { keyId: string; key: string }, scope?: string): Promise<string> {
  const res = await t.http
    .post('/v1/oauth/token')
    .type('form')
    .send({ grant_type: 'client_credentials', client_id: credentials.keyId, client_secret: credentials.key, ...(scope ? { scope } : {}) });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}
