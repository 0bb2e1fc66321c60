// Bad uploads (API guide: Uploads and the distribution rules, issue "Bad input"): each gets a clear 4xx, and
// leaves no file on disk (stored or temporary), no row and no event.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Response } from 'supertest';
import { corruptWav, flac, png, shellScript, wav } from './helpers/audio-fixtures';
import { createOrgWithKey, OrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { eventually, filesUnder, listen, multipartFrame, rawPost } from './helpers/upload-requests';

const MAX_BYTES = 400_000;

describe('Bad uploads', () => {
  let t: TestApp;
  let uploadDir: string;
  let org: OrgWithKey;
  let baseUrl: string;
  let filesBefore: string[];

  beforeAll(async () => {
    uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-uploads-bad-'));
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir, UPLOAD_MAX_BYTES: String(MAX_BYTES) } });
    baseUrl = await listen(t);
  });
  afterAll(async () => {
    await t.close();
    rmSync(uploadDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    org = await createOrgWithKey(t);
    filesBefore = filesUnder(uploadDir);
  });

  /** Nothing of the failed upload remains: no file (stored or temporary), no row, no event. */
  async function expectNoTrace(): Promise<void> {
    expect(filesUnder(uploadDir)).toEqual(filesBefore);
    expect(filesUnder(path.join(uploadDir, 'tmp'))).toEqual([]);
    expect(await t.prisma.upload.count({ where: { orgId: org.orgId } })).toBe(0);
    expect(await t.prisma.outboxEvent.count({ where: { orgId: org.orgId, type: { startsWith: 'upload.' } } })).toBe(0);
  }

  function expectProblem(res: Response | { status: number; headers: http.IncomingHttpHeaders; body: unknown }, status: number): Record<string, any> {
    expect(res.status).toBe(status);
    expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
    const body = (typeof res.body === 'string' ? JSON.parse(res.body) : res.body) as Record<string, any>;
    expect(body).toMatchObject({ status });
    // Never a temporary path, stack or parser internals.
    expect(JSON.stringify(body)).not.toMatch(/\/tmp\/|\.part|node_modules|Error:|musicpub-uploads/);
    return body;
  }

  const post = () => t.http.post('/v1/uploads').set('X-API-Key', org.key);
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest();

  it('refuses a zero-byte file with 422', async () => {
    const res = await post().attach('file', Buffer.alloc(0), { filename: 'empty.wav', contentType: 'audio/wav' });
    expect(expectProblem(res, 422).detail).toBe('The file is empty.');
    await expectNoTrace();
  });

  it('refuses a script named .wav and declared audio/wav with 415', async () => {
    const res = await post().attach('file', shellScript(), { filename: 'song.wav', contentType: 'audio/wav' });
    expect(expectProblem(res, 415).detail).toMatch(/only WAV \(PCM\), FLAC, AIFF or MP3 audio is accepted/);
    await expectNoTrace();
  });

  it('refuses a known non-audio type with 415, naming what it is', async () => {
    const res = await post().attach('file', png(), { filename: 'cover.wav', contentType: 'audio/wav' });
    expect(expectProblem(res, 415).detail).toContain('image/png');
    await expectNoTrace();
  });

  it('refuses a WAV that does not carry PCM with 415, plain or WAVE_FORMAT_EXTENSIBLE', async () => {
    const adpcm = wav();
    adpcm.writeUInt16LE(2, 20); // fmt wFormatTag: ADPCM
    const res = await post().attach('file', adpcm, { filename: 'adpcm.wav', contentType: 'audio/wav' });
    expect(expectProblem(res, 415).detail).toBe('WAV audio encoded as ADPCM is not accepted; only WAV (PCM), FLAC, AIFF or MP3 audio is.');
    const extensible = wav({ extensible: true, bitsPerSample: 24 });
    extensible.writeUInt16LE(2, 20 + 24); // SubFormat GUID: ADPCM
    expectProblem(await post().attach('file', extensible, 'adpcm-ext.wav'), 415);
    await expectNoTrace();
  });

  it('refuses a WAV with a corrupt header with 422', async () => {
    const res = await post().attach('file', corruptWav(), { filename: 'broken.wav', contentType: 'audio/wav' });
    const body = expectProblem(res, 422);
    expect(body.type).toBe('https://musicpub.dev/problems#corrupt-audio');
    expect(body.detail).toBe('The file looks like WAV but its header cannot be read.');
    await expectNoTrace();
  });

  it('refuses a Content-Digest mismatch with 422', async () => {
    const bytes = wav();
    const wrong = sha256(Buffer.from('something else')).toString('base64');
    const res = await post().set('Content-Digest', `sha-256=:${wrong}:`).attach('file', bytes, 'master.wav');
    expect(expectProblem(res, 422).type).toBe('https://musicpub.dev/problems#digest-mismatch');
    await expectNoTrace();
  });

  it('refuses a malformed Content-Digest, and one without sha-256, with 400', async () => {
    const malformed = await post().set('Content-Digest', 'sha-256=abc').attach('file', wav(), 'master.wav');
    expect(expectProblem(malformed, 400).errors).toEqual([expect.objectContaining({ field: 'Content-Digest' })]);
    const unsupported = await post().set('Content-Digest', `sha-512=:${Buffer.alloc(64).toString('base64')}:`).attach('file', wav(), 'master.wav');
    expectProblem(unsupported, 400);
    expect(unsupported.headers['want-content-digest']).toBe('sha-256=10');
    await expectNoTrace();
  });

  it('refuses a file over UPLOAD_MAX_BYTES with 413', async () => {
    const bytes = wav({ durationMs: 3000 }); // ~529 KB
    expect(bytes.length).toBeGreaterThan(MAX_BYTES);
    const res = await post().attach('file', bytes, 'long.wav');
    expect(expectProblem(res, 413).detail).toBe(`The file is larger than the upload limit of ${MAX_BYTES} bytes; nothing was kept.`);
    await expectNoTrace();
  });

  it('accepts a file of exactly UPLOAD_MAX_BYTES', async () => {
    const header = wav({ durationMs: 1 }).subarray(0, 44);
    const bytes = Buffer.concat([header, Buffer.alloc(MAX_BYTES - 44)]);
    bytes.writeUInt32LE(MAX_BYTES - 8, 4);
    bytes.writeUInt32LE(MAX_BYTES - 44, 40);
    const res = await post().attach('file', bytes, 'exact.wav');
    expect(res.status).toBe(201);
    expect(res.body.size).toBe(MAX_BYTES);
  });

  it('refuses two files with 400', async () => {
    const res = await post().attach('file', wav(), 'a.wav').attach('file', flac(), 'b.flac');
    expect(expectProblem(res, 400).detail).toBe('Send exactly one file, in the part named "file".');
    await expectNoTrace();
  });

  it('refuses a form without a file part, or with the file in another part, with 400', async () => {
    const none = await post().field('trackId', 'trk_01JF3Z0000000000000000000A');
    expectProblem(none, 400);
    const elsewhere = await post().attach('audio', wav(), 'a.wav');
    expect(expectProblem(elsewhere, 400).detail).toBe('Send exactly one file, in the part named "file".');
    await expectNoTrace();
  });

  it('refuses unknown text parts and bad trackIds with 400, and unknown tracks with 422', async () => {
    expectProblem(await post().field('status', 'accepted').attach('file', wav(), 'a.wav'), 400);
    expectProblem(await post().field('trackId', '../../etc').attach('file', wav(), 'a.wav'), 400);
    expectProblem(await post().field('trackId', 'x'.repeat(5000)).attach('file', wav(), 'a.wav'), 400);
    const unknown = await post().field('trackId', 'trk_01JF3Z0000000000000000000A').attach('file', wav(), 'a.wav');
    expect(expectProblem(unknown, 422).errors).toEqual([expect.objectContaining({ field: 'trackId' })]);
    await expectNoTrace();
  });

  it('refuses a body that is not multipart/form-data with 415', async () => {
    expectProblem(await post().send({ file: 'x' }), 415);
    expectProblem(await post().set('Content-Type', 'audio/wav').send(wav()), 415);
    await expectNoTrace();
  });

  it('refuses a truncated multipart body (no closing boundary) with 400', async () => {
    const bytes = wav();
    const frame = multipartFrame({ filename: 'cut.wav', contentType: 'audio/wav' });
    const body = Buffer.concat([frame.head, bytes.subarray(0, 100_000)]); // ends mid-file
    const res = await rawPost(`${baseUrl}/v1/uploads`, { 'X-API-Key': org.key, 'Content-Type': frame.contentType, 'Content-Length': body.length }, body);
    expect(expectProblem(res, 400).detail).toMatch(/Unexpected end of form/);
    await expectNoTrace();
  });

  it('leaves nothing behind when the client aborts mid-stream', async () => {
    const bytes = wav({ durationMs: 2000 });
    const frame = multipartFrame({ filename: 'aborted.wav', contentType: 'audio/wav' });
    const total = frame.head.length + bytes.length + frame.tail.length;
    const req = http.request(`${baseUrl}/v1/uploads`, {
      method: 'POST',
      headers: { 'X-API-Key': org.key, 'Content-Type': frame.contentType, 'Content-Length': total },
    });
    req.on('error', () => undefined); // the abort is the point
    req.write(frame.head);
    req.write(bytes.subarray(0, 150_000));
    // Proof the server is streaming it: the temporary file exists.
    expect(await eventually(() => filesUnder(path.join(uploadDir, 'tmp')).length === 1)).toBe(true);
    req.destroy();

    expect(await eventually(() => filesUnder(path.join(uploadDir, 'tmp')).length === 0)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 200)); // nothing may appear later either
    await expectNoTrace();
    // The abort is the client's doing: audited as a refused request, never logged as a server error.
    expect(t.logs.filter((line) => (line.level as number) >= 50)).toEqual([]);
  });

  it('answers a full disk with 507, logs a warning (no error) and removes the temporary file', async () => {
    // The temporary file is created for real; then every write to it fails as
    // on a full disk. Only this upload's writes are affected.
    const fs = require('node:fs') as typeof import('node:fs');
    const original = fs.createWriteStream;
    const spy = jest.spyOn(fs, 'createWriteStream').mockImplementation(((file: string, options: never) => {
      const stream = original(file, options);
      if (String(file).startsWith(path.join(uploadDir, 'tmp'))) {
        stream._write = (_chunk, _encoding, callback) =>
          callback(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28, syscall: 'write' }));
      }
      return stream;
    }) as typeof fs.createWriteStream);
    const logsBefore = t.logs.length;
    try {
      const res = await post().attach('file', wav(), { filename: 'full.wav', contentType: 'audio/wav' });
      const body = expectProblem(res, 507);
      expect(body).toMatchObject({ type: 'https://musicpub.dev/problems#insufficient-storage', title: 'Insufficient Storage' });
      expect(body.detail).not.toMatch(/ENOSPC/);
    } finally {
      spy.mockRestore();
    }
    await expectNoTrace();
    const logged = t.logs.slice(logsBefore);
    expect(logged.filter((line) => (line.level as number) >= 50)).toEqual([]);
    expect(logged).toContainEqual(expect.objectContaining({ level: 40, code: 'ENOSPC' }));
  });

  it('still serves the next upload after all that', async () => {
    const res = await post().attach('file', wav(), 'fine.wav');
    expect(res.status).toBe(201);
    expect(filesUnder(uploadDir)).toEqual([...filesBefore, path.join('objects', res.body.id)].sort());
  });
});
