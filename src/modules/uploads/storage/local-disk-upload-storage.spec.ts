import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
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

  it('moves a file source into place under its key', async () => {
    const source = path.join(root, 'incoming.part');
    writeFileSync(source, 'hello audio');
    await storage.put('upl_A', { kind: 'file', path: source });
    expect(existsSync(source)).toBe(false);
    expect(readdirSync(path.join(root, 'objects'))).toEqual(['upl_A']);
    expect(await text(await storage.get('upl_A'))).toBe('hello audio');
  });

  it('writes a stream source, and serves inclusive byte ranges', async () => {
    await storage.put('upl_B', { kind: 'stream', stream: Readable.from([Buffer.from('0123'), Buffer.from('456789')]) });
    expect(await text(await storage.get('upl_B', { start: 2, end: 5 }))).toBe('2345');
    expect(await text(await storage.get('upl_B', { start: 9, end: 9 }))).toBe('9');
  });

  it('leaves nothing behind when a stream source fails', async () => {
    const failing = new Readable({
      read() {
        this.destroy(new Error('client went away'));
      },
    });
    await expect(storage.put('upl_C', { kind: 'stream', stream: failing })).rejects.toThrow('client went away');
    expect(readdirSync(path.join(root, 'objects'))).toEqual([]);
  });

  it('fails to get a missing key before any byte is streamed', async () => {
    await expect(storage.get('upl_missing')).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('deletes idempotently', async () => {
    await storage.put('upl_D', { kind: 'stream', stream: Readable.from([Buffer.from('x')]) });
    await storage.delete('upl_D');
    await storage.delete('upl_D');
    expect(readdirSync(path.join(root, 'objects'))).toEqual([]);
  });

  it.each(['../escape', 'a/b', '.', '', 'x'.repeat(129), 'name.wav'])('refuses a key that is not id-shaped: %j', async (key) => {
    await expect(storage.delete(key)).rejects.toThrow('UploadStorage keys must be ids');
  });
});
