// The OpenAPI document as tools consume it (issue 19.7): Redocly's
// recommended ruleset passes with no warning, Swagger UI's Authorize can
// fetch a token through the oauth2 client-credentials scheme, scopes sit only
// on that scheme, public routes say `security: []`, and the limits, rate-limit
// fields and 401/429 answers the server gives are documented.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { OAUTH_TOKEN_PATH } from '../src/platform/auth/oauth-error';
import { SCOPES } from '../src/platform/auth/scopes';
import { createOrgWithKey } from './helpers/factories';
import { fetchOpenApi, operationsOf } from './helpers/openapi-operations';
import { startTestApp, TestApp } from './helpers/test-app';

const run = promisify(execFile);
const REDOCLY = path.join(__dirname, '..', 'node_modules', '@redocly', 'cli', 'bin', 'cli.js');
const ISSUER = 'https://api.contract.test';

/** Runs `redocly lint` on a document, offline (no telemetry, no update check). */
export async function redoclyLint(document: unknown): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'musicpub-openapi-'));
  try {
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, JSON.stringify(document));
    const config = path.join(__dirname, '..', 'redocly.yaml');
    const env = { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_NOTIFICATIONS: 'true', NO_COLOR: '1' };
    try {
      const { stdout, stderr } = await run(process.execPath, [REDOCLY, 'lint', '--config', config, '--format', 'stylish', file], { env, timeout: 60_000 });
      return { code: 0, output: stdout + stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: failed.code ?? 1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` };
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('OpenAPI document (tools accept it)', () => {
  let t: TestApp;
  // Read as plain JSON: the fields checked here are beyond what the shared helper types describe.
  let doc: any;

  beforeAll(async () => {
    t = await startTestApp({ env: { JWT_ISSUER: ISSUER } });
    doc = await fetchOpenApi(t);
  });
  afterAll(() => t.close());

  it('passes `redocly lint` with the recommended ruleset: no error, no warning', async () => {
    const { code, output } = await redoclyLint(doc);
    expect({ code, problems: output.split('\n').filter((line) => /\b(error|warning)\b/.test(line)) }).toEqual({ code: 0, problems: [] });
    expect(output).toMatch(/Woohoo! Your API description is valid/);
  }, 60_000);

  it('fails the lint on a document that breaks a recommended rule (the check can fail)', async () => {
    const broken = structuredClone(doc);
    delete broken.paths['/v1/releases'].post.summary;
    const { code, output } = await redoclyLint(broken);
    expect(code).not.toBe(0);
    expect(output).toMatch(/operation-summary/);
  }, 60_000);

  it('declares an oauth2 client-credentials scheme on the token endpoint, with every scope', () => {
    const oauth2 = doc.components.securitySchemes.oauth2;
    expect(oauth2.type).toBe('oauth2');
    expect(oauth2.flows.clientCredentials.tokenUrl).toBe(OAUTH_TOKEN_PATH);
    expect(Object.keys(oauth2.flows.clientCredentials.scopes).sort()).toEqual([...SCOPES].sort());
    expect(doc.servers).toEqual([expect.objectContaining({ url: '/' })]);
  });

  it('puts scopes only on the oauth2 scheme, says `security: []` on public routes, and summarizes every operation', () => {
    const publicRoutes: string[] = [];
    for (const op of operationsOf(doc)) {
      const name = `${op.method.toUpperCase()} ${op.path}`;
      expect({ name, summary: typeof op.operation.summary === 'string' && op.operation.summary.length > 0 }).toEqual({ name, summary: true });
      expect({ name, security: Array.isArray(op.operation.security) }).toEqual({ name, security: true });
      for (const requirement of op.operation.security!) {
        for (const [scheme, scopes] of Object.entries(requirement)) {
          if (scheme !== 'oauth2') expect({ name, scheme, scopes }).toEqual({ name, scheme, scopes: [] });
        }
      }
      if (op.operation.security!.length === 0) publicRoutes.push(name);
    }
    expect(publicRoutes.sort()).toEqual([
      'GET /.well-known/jwks.json',
      'GET /.well-known/oauth-authorization-server',
      'GET /health/live',
      'GET /health/ready',
      'POST /v1/credential-leaks',
      'POST /v1/oauth/token',
      'POST /v1/partners/{partnerId}/callbacks',
    ]);
  });

  it('documents 401 (problem+json with WWW-Authenticate) on authenticated routes and 429 with Retry-After and RateLimit fields on counted ones', () => {
    const responses = doc.components.responses;
    expect(responses.Unauthorized.headers).toHaveProperty('WWW-Authenticate');
    expect(responses.Unauthorized.content).toHaveProperty(['application/problem+json']);
    expect(Object.keys(responses.TooManyRequests.headers)).toEqual(expect.arrayContaining(['Retry-After', 'RateLimit', 'RateLimit-Policy']));
    for (const op of operationsOf(doc)) {
      const name = `${op.method.toUpperCase()} ${op.path}`;
      const counted = !op.path.startsWith('/health/');
      expect({ name, has429: '429' in op.operation.responses }).toEqual({ name, has429: counted });
      if (op.scopes.length > 0) expect({ name, r401: op.operation.responses['401'] }).toEqual({ name, r401: { $ref: '#/components/responses/Unauthorized' } });
      const success = Object.entries(op.operation.responses).find(([status]) => status.startsWith('2'))?.[1] as { headers?: object } | undefined;
      if (counted) expect({ name, headers: Object.keys(success?.headers ?? {}) }).toEqual({ name, headers: expect.arrayContaining(['RateLimit', 'RateLimit-Policy']) });
    }
  });

  it('states the limits the DTO validators enforce, including ones @ApiProperty does not repeat', () => {
    const release = doc.components.schemas!.CreateReleaseDto;
    expect(release.properties!.title).toMatchObject({ maxLength: 500 });
    expect(release.properties!.artists).toMatchObject({ minItems: 1, maxItems: 50 });
    // Only @MaxLength(200, { each: true }) says this: derived, not hand-copied.
    expect(release.properties!.artists.items).toMatchObject({ maxLength: 200 });
  });

  it('serves RFC 8414 authorization server metadata that leads a client to a working token', async () => {
    const res = await t.http.get('/.well-known/oauth-authorization-server').expect(200);
    expect(res.body).toEqual({
      issuer: ISSUER,
      token_endpoint: `${ISSUER}${OAUTH_TOKEN_PATH}`,
      jwks_uri: `${ISSUER}/.well-known/jwks.json`,
      grant_types_supported: ['client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
      scopes_supported: [...SCOPES],
      response_types_supported: [],
    });
    // As Swagger UI's Authorize does it: HTTP Basic client authentication, form body.
    const org = await createOrgWithKey(t);
    const token = await t.http
      .post(new URL(res.body.token_endpoint).pathname)
      .auth(org.keyId, org.key)
      .type('form')
      .send({ grant_type: 'client_credentials', scope: 'releases:read' })
      .expect(200);
    await t.http.get('/v1/releases').set('Authorization', `Bearer ${token.body.access_token}`).expect(200);
  });
});
