// Signed multipart uploads (API guide: Signed requests with §4): the upload body is streamed
// to disk, never buffered, so its Content-Digest — RFC 9530's digest of the
// whole body as sent — is checked as the bytes stream through. A body that is
// not the one signed is refused with 401 and leaves no file and no row.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { wav } from './helpers/audio-fixtures';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually, filesUnder, multipartFrame } from './helpers/upload-requests';
import { contentDigestOf, createSigningKey, expectSignatureRefused, send, signedHeaders, SigningAlg, SigningKey } from './signed-requests.helpers';

describe.each<SigningAlg>(['hmac-sha256', 'ed25519'])('Signed uploads (%s)', (alg) => {
  let t: TestApp;
  let uploadDir: string;
  let admin: OrgWithKey;
  let key: SigningKey;

  beforeAll(async () => {
    uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-signed-uploads-'));
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_MAX_BYTES: String(2_000_000) } });
    admin = await createOrgWithKey(t);
    key = await createSigningKey(t, admin, alg);
  });
  afterAll(async () => {
    await t.close();
    rmSync(uploadDir, { recursive: true, force: true });
  });

  /** A multipart body with a WAV file part and optional text fields, and its Content-Type. */
  function uploadBody(fields: Record<string, string> = {}): { body: Buffer; contentType: string } {
    const frame = multipartFrame({ filename: 'take-1.wav', contentType: 'audio/wav' }, fields);
    return { body: Buffer.concat([frame.head, wav(), frame.tail]), contentType: frame.contentType };
  }

  async function expectNoTrace(): Promise<void> {
    expect(await t.prisma.upload.count({ where: { orgId: admin.orgId } })).toBe(0);
    // The temporary file goes before the error is sent; stored objects never appear.
    expect(await eventually(() => filesUnder(uploadDir).length === 0)).toBe(true);
  }

  it('refuses an unsigned upload before reading it', async () => {
    const { body, contentType } = uploadBody();
    const res = await send(t, key.key, 'POST', '/v1/uploads', { 'Content-Type': contentType }, body);
    expectSignatureRefused(res, 'signature_missing');
    await expectNoTrace();
  });

  it('refuses an upload whose file bytes changed after signing, once they have streamed: 401, no file, no row', async () => {
    const { body, contentType } = uploadBody();
    const headers = await signedHeaders(key, { method: 'POST', path: '/v1/uploads', body, contentType });
    const tampered = Buffer.from(body);
    tampered[tampered.length - 200] ^= 0xff;
    const res = await send(t, key.key, 'POST', '/v1/uploads', headers, tampered);
    expectSignatureRefused(res, 'content_digest_mismatch');
    await expectNoTrace();
  });

  it('refuses an upload whose form field changed after signing (the digest covers every part, not just the file)', async () => {
    const signedBody = uploadBody({ trackId: 'trk_00000000000000000000000001' });
    const headers = await signedHeaders(key, { method: 'POST', path: '/v1/uploads', body: signedBody.body, contentType: signedBody.contentType });
    const forged = Buffer.from(signedBody.body.toString('latin1').replace('trk_00000000000000000000000001', 'trk_00000000000000000000000002'), 'latin1');
    const res = await send(t, key.key, 'POST', '/v1/uploads', headers, forged);
    expectSignatureRefused(res, 'content_digest_mismatch');
    await expectNoTrace();
  });

  it('refuses a signed upload whose Content-Digest is the file’s rather than the body’s', async () => {
    const { body, contentType } = uploadBody();
    const headers = await signedHeaders(key, { method: 'POST', path: '/v1/uploads', body, contentType, headers: { 'Content-Digest': contentDigestOf(wav()) } });
    expectSignatureRefused(await send(t, key.key, 'POST', '/v1/uploads', headers, body), 'content_digest_mismatch');
    await expectNoTrace();
  });

  it('lets a correctly signed upload through the signature and streamed digest checks', async () => {
    const { body, contentType } = uploadBody();
    const headers = await signedHeaders(key, { method: 'POST', path: '/v1/uploads', body, contentType });
    const res = await send(t, key.key, 'POST', '/v1/uploads', headers, body);
    // The signature layer's verdict: whatever the upload itself answers, never a signature refusal.
    expect(res.status).not.toBe(401);
    expect(res.body.reason).toBeUndefined();
  });

  // The signed Content-Digest covers the whole multipart body, not the file (docs/api-guide.md, "Signed requests").
  it('stores a correctly signed upload (201)', async () => {
    const { body, contentType } = uploadBody();
    const headers = await signedHeaders(key, { method: 'POST', path: '/v1/uploads', body, contentType });
    const res = await send(t, key.key, 'POST', '/v1/uploads', headers, body);
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'accepted', filename: 'take-1.wav' });
  });
});
