// Boots the real application (same module graph, guards, filters and HTTP
// setup as production) on its own database, for e2e tests.
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import type { NestExpressApplication } from '@nestjs/platform-express';
import supertest from 'supertest';
import { createApp } from '../../src/app.factory';
import { Db } from '../../src/platform/database/db';
import { PrismaService } from '../../src/platform/database/prisma.service';
import { createTestDatabase, TestDatabase } from './test-database';
import { AnonymousRefusals } from '../../src/platform/audit/anonymous-refusals';

export interface TestApp {
  app: NestExpressApplication;
  http: ReturnType<typeof supertest>;
  prisma: PrismaService;
  /** The app's transaction host: `db.withTransaction(…)` and `db.tx`, as services use them. */
  db: Db;
  database: TestDatabase;
  env: Record<string, string>;
  /** Every log line the app wrote, parsed. */
  logs: Array<Record<string, unknown>>;
  /** Writes the anonymous refusals counted so far (they are recorded off the request path, once a second). */
  flushAudit(): Promise<void>;
  /** Runs `step` when the app closes, before it does (a helper's own connection to the database, say). */
  onClose(step: () => Promise<void>): void;
  close(): Promise<void>;
}

export interface StartTestAppOptions {
  env?: Record<string, string>;
  /** Reuse a database (e.g. a second instance on the same data); a new one is created otherwise. */
  database?: TestDatabase;
}

// One set of secrets per test file, so two instances in a file agree on them
// (as instances of one deployment do).
const FILE_SECRETS = {
  API_KEY_PEPPER: randomBytes(32).toString('base64'),
  ENCRYPTION_KEY: `t1:${randomBytes(32).toString('base64')}`,
  AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
};

export async function startTestApp(options: StartTestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const ownsDatabase = options.database === undefined;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'info',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: '',
    THROTTLE_DEFAULT: '100000/60',
    THROTTLE_UPLOADS: '100000/60',
    THROTTLE_AUTH: '100000/60',
    ...FILE_SECRETS,
    ...options.env,
  };
  const logs: Array<Record<string, unknown>> = [];
  const logDestination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim()) logs.push(JSON.parse(line) as Record<string, unknown>);
      }
      callback();
    },
  });
  const app = await createApp({ env, logDestination });
  const closeSteps: Array<() => Promise<void>> = [];
  return {
    app,
    http: supertest(app.getHttpServer()),
    prisma: app.get(PrismaService),
    db: app.get<Db>(Db),
    database,
    env,
    logs,
    flushAudit: () => app.get(AnonymousRefusals).flush(),
    onClose: (step) => closeSteps.push(step),
    async close() {
      for (const step of closeSteps.splice(0)) await step();
      await app.close();
      if (ownsDatabase) await database.drop();
    },
  };
}
