import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import type { Request } from 'express';
import { HashingTempFileEngine, prepareTempDir, ReceivedFile } from './hashing-temp-file-engine';

describe('HashingTempFileEngine', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'musicpub-engine-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  const request = () => Object.assign(new EventEmitter(), { complete: false }) as unknown as Request;
  const handle = (engine: HashingTempFileEngine, req: Request, stream: Readable) =>
    new Promise<{ error?: unknown; info?: Partial<ReceivedFile> }>((resolve) => {
      engine._handleFile(req, { stream } as unknown as Express.Multer.File, (error, info) => resolve({ error, info }));
    });

  it('writes the part to a temporary file, counting and hashing it', async () => {
    const bytes = Buffer.from('RIFF and some audio');
    const { error, info } = await handle(new HashingTempFileEngine(dir), request(), Readable.from([bytes.subarray(0, 4), bytes.subarray(4)]));
    expect(error).toBeNull();
    expect(info).toEqual({ path: expect.stringMatching(/\.part$/), size: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') });
    expect(readFileSync(info!.path!)).toEqual(bytes);
  });

  it('removes the temporary file when the part fails midway', async () => {
    const stream = new PassThrough();
    const pending = handle(new HashingTempFileEngine(dir), request(), stream);
    stream.write(Buffer.alloc(1000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(readdirSync(dir)).toHaveLength(1);
    stream.destroy(new Error('Unexpected end of form'));
    const { error } = await pending;
    expect(error).toBeInstanceOf(Error);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes the temporary file when the client closes the connection between chunks', async () => {
    const stream = new PassThrough();
    const req = request();
    const pending = handle(new HashingTempFileEngine(dir), req, stream);
    stream.write(Buffer.alloc(1000));
    await new Promise((resolve) => setTimeout(resolve, 20));
    req.emit('close');
    expect((await pending).error).toBeDefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('removes a part cut at the size limit', async () => {
    const stream = Object.assign(Readable.from([Buffer.alloc(10)]), { truncated: true });
    const { error } = await handle(new HashingTempFileEngine(dir), request(), stream);
    expect(error).toBeDefined();
    expect(readdirSync(dir)).toEqual([]);
  });

  it('lets multer remove a stored temporary file', async () => {
    const file = path.join(dir, 'x.part');
    writeFileSync(file, 'x');
    await new Promise((resolve) => new HashingTempFileEngine(dir)._removeFile(request(), { path: file } as Express.Multer.File, resolve));
    expect(existsSync(file)).toBe(false);
  });
});

describe('prepareTempDir', () => {
  it('creates the directory and removes only stale temporary files', async () => {
    const root = mkdtempSync(path.join(tmpdir(), 'musicpub-tmpdir-'));
    const dir = path.join(root, 'tmp');
    expect(await prepareTempDir(dir, 60_000)).toBe(0);
    writeFileSync(path.join(dir, 'old.part'), 'x');
    writeFileSync(path.join(dir, 'fresh.part'), 'x');
    writeFileSync(path.join(dir, 'other.txt'), 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(dir, 'old.part'), hourAgo, hourAgo);
    expect(await prepareTempDir(dir, 60_000)).toBe(1);
    expect(readdirSync(dir).sort()).toEqual(['fresh.part', 'other.txt']);
    rmSync(root, { recursive: true, force: true });
  });
});
