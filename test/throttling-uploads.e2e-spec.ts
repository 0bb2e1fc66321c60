// The `uploads` policy (API guide: Rate limits) through @UploadThrottle(), on a probe route
// mounted beside the real application: same module graph, guards and HTTP
// setup as production, plus one controller that only this file sees.
import { randomBytes } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Controller, HttpCode, Module, Post } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppLogger } from '../src/platform/logging/app-logger';
import { Writable } from 'node:stream';
import supertest from 'supertest';
import { AppModule } from '../src/app.module';
import { AppConfig } from '../src/config/app-config';
import { Scopes } from '../src/platform/auth/scopes.decorator';
import { Db } from '../src/platform/database/db';
import { PrismaService } from '../src/platform/database/prisma.service';
import { configureHttp } from '../src/platform/http/configure-http';
import { UploadThrottle } from '../src/platform/throttling/throttle.decorators';
import { createOrgWithKey } from './helpers/factories';
import type { TestApp } from './helpers/test-app';
import { createTestDatabase } from './helpers/test-database';
import { expectQuotaExceeded, rateLimitOf } from './throttling.helpers';
import { AnonymousRefusals } from '../src/platform/audit/anonymous-refusals';

@Controller('v1/throttle-probe')
class UploadProbeController {
  @Post('uploads')
  @HttpCode(201)
  @Scopes('uploads:write')
  @UploadThrottle()
  upload(): { ok: true } {
    return { ok: true };
  }
}

async function startAppWithProbe(env: Record<string, string>): Promise<TestApp> {
  const database = await createTestDatabase();
  const uploadDir = join(tmpdir(), `musicpub-throttling-${randomBytes(4).toString('hex')}`);
  const fullEnv = {
    NODE_ENV: 'test',
    LOG_LEVEL: 'warn',
    DATABASE_URL: database.url,
    DATABASE_POOL_SIZE: '5',
    REDIS_URL: '',
    UPLOAD_DIR: uploadDir,
    API_KEY_PEPPER: randomBytes(32).toString('base64'),
    ENCRYPTION_KEY: `t1:${randomBytes(32).toString('base64')}`,
    AUDIT_HMAC_KEY: randomBytes(32).toString('base64'),
    ...env,
  };
  const logDestination = new Writable({ write: (_chunk, _encoding, callback) => callback() });

  @Module({ imports: [AppModule.forRoot({ env: fullEnv, logDestination })], controllers: [UploadProbeController] })
  class ProbeRootModule {}

  const app = await NestFactory.create<NestExpressApplication>(ProbeRootModule, { bodyParser: false, bufferLogs: true, abortOnError: false });
  app.useLogger(app.get(AppLogger));
  configureHttp(app, app.get(AppConfig));
  await app.init();
  const closeSteps: Array<() => Promise<void>> = [];
  return {
    app,
    http: supertest(app.getHttpServer()),
    prisma: app.get(PrismaService),
    db: app.get<Db>(Db),
    database,
    env: fullEnv,
    logs: [],
    flushAudit: () => app.get(AnonymousRefusals).flush(),
    onClose: (step) => closeSteps.push(step),
    async close() {
      for (const step of closeSteps.splice(0)) await step();
      await app.close();
      await database.drop();
      await rm(uploadDir, { recursive: true, force: true });
    },
  };
}

describe('The uploads policy', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startAppWithProbe({ THROTTLE_DEFAULT: '10/60', THROTTLE_UPLOADS: '2/60', THROTTLE_AUTH: '100/60' });
  });
  afterAll(() => t.close());

  const upload = (key: string) => t.http.post('/v1/throttle-probe/uploads').set('X-API-Key', key);

  it('counts an @UploadThrottle() route against both default and uploads, and reports both', async () => {
    const { key } = await createOrgWithKey(t);
    const res = await upload(key).expect(201);
    expect(res.headers['ratelimit-policy']).toBe('"default";q=10;w=60, "uploads";q=2;w=60');
    expect(rateLimitOf(res)).toEqual({ default: { r: 9, t: expect.any(Number) }, uploads: { r: 1, t: expect.any(Number) } });
    // The legacy fields describe the policy that binds first.
    expect(res.headers['x-ratelimit-limit']).toBe('2');
    expect(res.headers['x-ratelimit-remaining']).toBe('1');
  });

  it('refuses uploads past their quota while the key’s other requests go on', async () => {
    const { key } = await createOrgWithKey(t);
    await upload(key).expect(201);
    await upload(key).expect(201);
    const refused = await upload(key);
    expectQuotaExceeded(refused, ['uploads']);
    expect(rateLimitOf(refused).default.r).toBe(7);
    const other = await t.http.get('/v1/api-keys').set('X-API-Key', key).expect(200);
    expect(other.headers['ratelimit-policy']).toBe('"default";q=10;w=60');
    expect(rateLimitOf(other).default.r).toBe(6);
  });

  it('puts the real POST /v1/uploads under the uploads policy (counted before the body is read)', async () => {
    const { key } = await createOrgWithKey(t);
    const noFile = () => t.http.post('/v1/uploads').set('X-API-Key', key).field('note', 'no file part');
    for (let i = 0; i < 2; i++) {
      const res = await noFile();
      expect(res.status).not.toBe(429);
      expect(res.headers['ratelimit-policy']).toBe('"default";q=10;w=60, "uploads";q=2;w=60');
    }
    expectQuotaExceeded(await noFile(), ['uploads']);
  });

  it('keeps the uploads budget per key', async () => {
    const first = await createOrgWithKey(t);
    const second = await createOrgWithKey(t);
    await upload(first.key).expect(201);
    await upload(first.key).expect(201);
    expectQuotaExceeded(await upload(first.key), ['uploads']);
    await upload(second.key).expect(201);
  });
});
