import { existsSync, mkdtempSync, readdirSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { pipeline } from 'node:stream/promises';
import { LocalDiskUploadStorage } from './local-disk-upload-storage';

describe('LocalDiskUploadStorage', () => {
  let root: string;
  let storage: LocalDiskUploadStorage;
  beforeEach(async () => {
    root = mkdtempSync(path.join(tmpdir(), 'musicpub-storage-'));
    storage = new LocalDiskUploadStorage(root);
    await storage.init();
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  async function stored(key: string, ...chunks: string[]) {
    const staged = storage.stage(key);
    await pipeline(Readable.from(chunks.map((c) => Buffer.from(c))), staged.writable);
    return staged;
  }

  it('stages a write under tmp/ and moves it into place on commit only', async () => {
    const staged = await stored('upl_A', 'hello ', 'audio');
    expect(readdirSync(path.join(root, 'objects'))).toEqual([]);
    expect(readdirSync(path.join(root, 'tmp'))).toHaveLength(1);
    await staged.commit();
    await staged.discard(); // a no-op once committed
    expect(readdirSync(path.join(root, 'objects'))).toEqual(['upl_A']);
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    expect(await text(await storage.get('upl_A'))).toBe('hello audio');
  });

  it('serves inclusive byte ranges', async () => {
    await (await stored('upl_B', '0123', '456789')).commit();
    expect(await text(await storage.get('upl_B', { start: 2, end: 5 }))).toBe('2345');
    expect(await text(await storage.get('upl_B', { start: 9, end: 9 }))).toBe('9');
  });

  it('leaves nothing behind when a staged write is discarded, finished or not', async () => {
    await (await stored('upl_C', 'abc')).discard();
    const halfway = storage.stage('upl_D');
    halfway.writable.write(Buffer.from('partial'));
    await halfway.discard();
    expect(readdirSync(path.join(root, 'tmp'))).toEqual([]);
    expect(readdirSync(path.join(root, 'objects'))).toEqual([]);
  });

  it('fails to get a missing key before any byte is streamed', async () => {
    await expect(storage.get('upl_missing')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('deletes idempotently, and signs no URLs', async () => {
    await (await stored('upl_E', 'x')).commit();
    await storage.delete('upl_E');
    await storage.delete('upl_E');
    expect(readdirSync(path.join(root, 'objects'))).toEqual([]);
    expect(await storage.presignedDownloadUrl()).toBeUndefined();
  });

  it('removes only stale staged files', async () => {
    writeFileSync(path.join(root, 'tmp', 'old.part'), 'x');
    writeFileSync(path.join(root, 'tmp', 'fresh.part'), 'x');
    writeFileSync(path.join(root, 'tmp', 'other.txt'), 'x');
    const hourAgo = new Date(Date.now() - 3_600_000);
    utimesSync(path.join(root, 'tmp', 'old.part'), hourAgo, hourAgo);
    expect(await storage.removeStaleStagedFiles(60_000)).toBe(1);
    expect(readdirSync(path.join(root, 'tmp')).sort()).toEqual(['fresh.part', 'other.txt']);
    expect(existsSync(path.join(root, 'tmp', 'old.part'))).toBe(false);
  });

  it.each(['../escape', 'a/b', '.', '', 'x'.repeat(129), 'name.wav'])('refuses a key that is not id-shaped: %j', async (key) => {
    await expect(storage.delete(key)).rejects.toThrow('UploadStorage keys must be ids');
  });
});
