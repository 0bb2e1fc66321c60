// The two places upload bytes can live (UPLOAD_STORAGE), behind one shape, so
// an upload e2e suite runs unchanged on both: the local disk under a fresh
// UPLOAD_DIR, and an S3 bucket on the test's own S3 server (s3-server.ts).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startTestS3, type TestS3 } from './s3-server';

export type BackendName = 'local' | 's3';
export const BACKENDS: BackendName[] = ['local', 's3'];

export interface UploadBackend {
  name: BackendName;
  /** The app settings for this backend (UPLOAD_DIR is a fresh directory either way). */
  env: Record<string, string>;
  uploadDir: string;
  /** The S3 server, on the s3 backend. */
  s3: TestS3 | undefined;
  /** The keys of the stored objects (upload ids), sorted. */
  storedKeys(): Promise<string[]>;
  /** What staged writes left behind: temporary files, or multipart uploads neither completed nor aborted. */
  leftovers(): Promise<string[]>;
  close(): Promise<void>;
}

export async function startUploadBackend(name: BackendName): Promise<UploadBackend> {
  const uploadDir = mkdtempSync(path.join(tmpdir(), `musicpub-uploads-${name}-`));
  const list = (dir: string) => {
    try {
      return readdirSync(path.join(uploadDir, dir)).sort();
    } catch {
      return [];
    }
  };
  const s3 = name === 's3' ? await startTestS3() : undefined;
  return {
    name,
    env: { UPLOAD_DIR: uploadDir, ...s3?.env },
    uploadDir,
    s3,
    storedKeys: () => (s3 ? s3.keys() : Promise.resolve(list('objects'))),
    leftovers: () => Promise.resolve(s3 ? [...s3.openMultipartUploads(), ...list('tmp')] : list('tmp')),
    async close() {
      await s3?.stop();
      rmSync(uploadDir, { recursive: true, force: true });
    },
  };
}
