// A fully populated organization for the security suites (fuzzer, OWASP API
// Top 10): one resource of every type a client can address — release, track,
// upload (with content on disk), API keys, webhook endpoint, webhook message,
// partner and audit events — so an attacker in another organization has an
// id of each kind to aim at. Everything goes through the HTTP API except the
// partner (created by the CLI's service, as in production) and the webhook
// fan-out (driven once instead of by a worker loop, so no delivery is tried).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { OutboxDispatcher } from '../../src/modules/webhooks/delivery/outbox-dispatcher';
import { PartnersService } from '../../src/modules/partners/partners.service';
import { SCOPES, type Scope } from '../../src/platform/auth/scopes';
import { wav } from './audio-fixtures';
import { createOrgWithKey } from './factories';
import { startTestApp, type TestApp } from './test-app';

/** A public IPv4 literal: passes the SSRF check without DNS, and no worker runs in these apps to call it. */
export const PUBLIC_WEBHOOK_URL = 'https://93.184.215.14/hooks/musicpub';

export interface SeededTenant {
  orgId: string;
  /** The organization's first key: every scope. */
  keyId: string;
  key: string;
  /** A second all-scope key, for attacks aimed at a key (rotate, revoke) without locking the tenant out. */
  spareKeyId: string;
  spareKey: string;
  releaseId: string;
  /** A draft with no tracks, UPC or date. */
  emptyReleaseId: string;
  trackId: string;
  uploadId: string;
  uploadSize: number;
  endpointId: string;
  endpointSecret: string;
  messageId: string;
  partnerId: string;
  partnerSecret: string;
  auditEventId: string;
}

async function expectCreated(res: { status: number; body: any }, what: string): Promise<any> {
  if (res.status !== 201 && res.status !== 202) throw new Error(`seeding ${what}: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body;
}

/** Needs an app started with UPLOAD_DIR (a temporary directory) and WEBHOOK_WORKERS=0. */
export async function seedTenant(t: TestApp, label = 'tenant'): Promise<SeededTenant> {
  const admin = await createOrgWithKey(t);
  const as = (req: ReturnType<TestApp['http']['post']>) => req.set('X-API-Key', admin.key);

  const spare = await expectCreated(await as(t.http.post('/v1/api-keys')).send({ name: `${label} spare`, scopes: [...SCOPES] }), 'spare key');
  const release = await expectCreated(
    await as(t.http.post('/v1/releases')).send({ title: `${label} release`, artists: ['Nina Simone'], upc: '036000291452', releaseDate: '2026-06-01' }),
    'release',
  );
  const emptyRelease = await expectCreated(await as(t.http.post('/v1/releases')).send({ title: `${label} empty`, artists: ['Nina Simone'] }), 'empty release');
  const track = await expectCreated(await as(t.http.post(`/v1/releases/${release.id}/tracks`)).send({ title: 'Sinnerman' }), 'track');
  const audio = wav({ durationMs: 1200 });
  const upload = await expectCreated(
    await as(t.http.post('/v1/uploads')).attach('file', audio, { filename: `${label}.wav`, contentType: 'audio/wav' }),
    'upload',
  );
  const endpoint = await expectCreated(await as(t.http.post('/v1/webhook-endpoints')).send({ url: PUBLIC_WEBHOOK_URL, events: ['*'] }), 'webhook endpoint');
  await expectCreated(await as(t.http.post(`/v1/webhook-endpoints/${endpoint.id}/test`)), 'webhook test');
  while ((await t.app.get(OutboxDispatcher).dispatchBatch()) > 0);
  const message = await t.prisma.webhookMessage.findFirstOrThrow({ where: { endpointId: endpoint.id }, orderBy: { id: 'desc' } });
  const partner = await t.app.get(PartnersService).create(admin.orgId, `${label} partner`);
  const audit = await t.prisma.auditEvent.findFirstOrThrow({ where: { orgId: admin.orgId }, orderBy: { seq: 'desc' } });

  return {
    orgId: admin.orgId,
    keyId: admin.keyId,
    key: admin.key,
    spareKeyId: spare.id,
    spareKey: spare.key,
    releaseId: release.id,
    emptyReleaseId: emptyRelease.id,
    trackId: track.id,
    uploadId: upload.id,
    uploadSize: audio.length,
    endpointId: endpoint.id,
    endpointSecret: endpoint.secret,
    messageId: message.id,
    partnerId: partner.partnerId,
    partnerSecret: partner.secret,
    auditEventId: audit.id,
  };
}

/** A key of `tenant`'s organization holding exactly `scopes`. */
export async function keyWithScopes(t: TestApp, tenant: { key: string }, scopes: readonly Scope[], name = 'scoped'): Promise<{ keyId: string; key: string }> {
  const res = await t.http.post('/v1/api-keys').set('X-API-Key', tenant.key).send({ name, scopes });
  if (res.status !== 201) throw new Error(`creating a ${scopes.join(',')} key: ${res.status} ${JSON.stringify(res.body)}`);
  return { keyId: res.body.id as string, key: res.body.key as string };
}

/**
 * The real app on its own database and upload directory, with no webhook
 * worker loop (nothing is delivered unless a test drives it); `close` removes
 * both.
 */
export async function startSecurityApp(env: Record<string, string> = {}): Promise<TestApp> {
  const uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-security-'));
  const t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, WEBHOOK_WORKERS: '0', WEBHOOK_TIMEOUT_MS: '1000', ...env } });
  const close = t.close.bind(t);
  t.close = async () => {
    await close();
    rmSync(uploadDir, { recursive: true, force: true });
  };
  return t;
}
