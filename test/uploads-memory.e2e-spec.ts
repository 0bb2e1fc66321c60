// Memory stays flat whatever the upload's size (API guide: Uploads and the distribution rules): a 200 MB WAV,
// generated chunk by chunk and streamed over a real socket, must not grow
// the server process (this Jest worker) by anything near its size.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Transform } from 'node:stream';
import { wavStream } from './helpers/audio-fixtures';
import { createOrgWithKey } from './helpers/factories';
import { startTestApp, TestApp } from './helpers/test-app';
import { listen, multipartFrame, rawPost } from './helpers/upload-requests';

const SIZE = 200 * 1024 * 1024;
const MAX_RSS_GROWTH = 100 * 1024 * 1024;

describe('Upload memory', () => {
  let t: TestApp;
  let uploadDir: string;

  beforeAll(async () => {
    uploadDir = mkdtempSync(path.join(tmpdir(), 'musicpub-uploads-mem-'));
    t = await startTestApp({ env: { UPLOAD_DIR: uploadDir } });
  });
  afterAll(async () => {
    await t.close();
    rmSync(uploadDir, { recursive: true, force: true });
  });

  it('streams a 200 MB WAV to disk with bounded memory', async () => {
    const org = await createOrgWithKey(t);
    const baseUrl = await listen(t);
    const { stream: audio, size } = wavStream(SIZE, { durationMs: 1000 });
    const frame = multipartFrame({ filename: 'long-master.wav', contentType: 'audio/wav' });
    const hash = createHash('sha256');
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const body = new PassThrough();
    body.write(frame.head);
    audio.pipe(hashing).on('end', () => body.end(frame.tail)).pipe(body, { end: false });

    const baseline = process.memoryUsage().rss;
    let peak = baseline;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 10);
    const started = Date.now();
    try {
      const res = await rawPost(
        `${baseUrl}/v1/uploads`,
        { 'X-API-Key': org.key, 'Content-Type': frame.contentType, 'Content-Length': frame.head.length + size + frame.tail.length },
        body,
      );
      expect(res.status).toBe(201);
      const upload = JSON.parse(res.body) as { id: string; size: number; sha256: string; status: string; format: { durationMs: number } };
      expect(upload).toMatchObject({ size, sha256: hash.digest('hex'), status: 'accepted' });
      expect(upload.format.durationMs).toBeGreaterThan(1_000_000); // ~19.8 minutes of 16/44.1 stereo
      expect(statSync(path.join(uploadDir, 'objects', upload.id)).size).toBe(size);
      await t.http.delete(`/v1/uploads/${upload.id}`).set('X-API-Key', org.key).expect(204);
    } finally {
      clearInterval(sampler);
    }
    const growth = peak - baseline;
    // Reported for the record; the bound is the assertion.
    process.stdout.write(`upload of ${SIZE / 2 ** 20} MiB: ${Date.now() - started} ms, RSS growth ${(growth / 2 ** 20).toFixed(1)} MiB\n`);
    expect(growth).toBeLessThan(MAX_RSS_GROWTH);
  }, 60_000);
});
