// The *floor* (issue 15): what NestJS + Express + Prisma 7 cost on this
// machine with nothing of musicpub's pipeline. No middleware, guards,
// interceptors, pipes or filters: a health route, and the release read by API
// key — the key's HMAC looked up through a 750 ms cache (as musicpub's
// KeyStateCache), then the release with its tracks and contributors in one
// Prisma query (the same generated client, relationJoins, adapter-pg), shaped
// by musicpub's own presenter so both send the same bytes. And the idempotent
// create (bench/idempotent-create.mjs: the anchor's statements and CPU work)
// in one Prisma interactive transaction, each statement a raw query: what the
// stack alone costs for musicpub's POST, set beside the anchor (no target is
// measured against it).
// Plain JS: decorators are applied by calling them.
import { createRequire } from 'node:module';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createRelease } from './idempotent-create.mjs';

const require = createRequire(import.meta.url);
require('reflect-metadata');
const { Module, Controller, Get, Post, Param, Headers, Req, Res, HttpException } = require('@nestjs/common');
const { NestFactory } = require('@nestjs/core');
const { PrismaPg } = require('@prisma/adapter-pg');
const { PrismaClient } = require('../dist/generated/prisma/client.js');
const { hashApiKey } = require('../dist/modules/api-keys/key-format.js');
const { presentRelease } = require('../dist/modules/releases/release.presenter.js');

const KEY_TTL_MS = 750;
const pepper = Buffer.from(process.env.API_KEY_PEPPER, 'base64');
const prisma = new PrismaClient({ adapter: new PrismaPg({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DATABASE_POOL_SIZE ?? 10) }) });
const keys = new Map();

async function keyOf(presented) {
  if (typeof presented !== 'string') return undefined;
  const hash = hashApiKey(pepper, presented);
  const hex = hash.toString('hex');
  const cached = keys.get(hex);
  if (cached && Date.now() - cached.at < KEY_TTL_MS) return cached.key;
  const key = await prisma.apiKey.findUnique({ where: { keyHash: new Uint8Array(hash) }, select: { id: true, orgId: true } });
  if (!key) return undefined;
  keys.set(hex, { key, at: Date.now() });
  return key;
}

class HealthController {
  live() {
    return { status: 'ok' };
  }
}
Controller('health')(HealthController);
Get('live')(HealthController.prototype, 'live', Object.getOwnPropertyDescriptor(HealthController.prototype, 'live'));

class ReleasesController {
  async get(id, apiKey) {
    const orgId = (await keyOf(apiKey))?.orgId;
    if (!orgId) throw new HttpException('unauthenticated', 401);
    const row = await prisma.release.findFirst({
      where: { id, orgId },
      include: { tracks: { orderBy: { trackNumber: 'asc' }, include: { contributors: { orderBy: { position: 'asc' } } } } },
    });
    if (!row) throw new HttpException('not found', 404);
    return presentRelease(row);
  }

  async create(req, res, apiKey, idempotencyKey) {
    const key = await keyOf(apiKey);
    if (!key) throw new HttpException('unauthenticated', 401);
    const chunks = [];
    for await (const chunk of req) chunks.push(chunk);
    const request = { key, idempotencyKey, raw: Buffer.concat(chunks).toString('utf8'), ip: req.socket.remoteAddress ?? null, userAgent: req.headers['user-agent'] ?? null };
    let result;
    try {
      await prisma.$transaction(async (tx) => {
        result = await createRelease(request, (sql, params) => tx.$queryRawUnsafe(sql, ...params));
        // A taken key rolls back, as the anchor's does.
        if (result.status !== 201) throw result;
      });
    } catch (error) {
      if (error !== result) throw error;
    }
    res.status(result.status).set(result.headers).type('application/json; charset=utf-8').send(result.body);
  }
}
Controller('v1/releases')(ReleasesController);
Param('id')(ReleasesController.prototype, 'get', 0);
Headers('x-api-key')(ReleasesController.prototype, 'get', 1);
Get(':id')(ReleasesController.prototype, 'get', Object.getOwnPropertyDescriptor(ReleasesController.prototype, 'get'));
Req()(ReleasesController.prototype, 'create', 0);
Res()(ReleasesController.prototype, 'create', 1);
Headers('x-api-key')(ReleasesController.prototype, 'create', 2);
Headers('idempotency-key')(ReleasesController.prototype, 'create', 3);
Post()(ReleasesController.prototype, 'create', Object.getOwnPropertyDescriptor(ReleasesController.prototype, 'create'));

class FloorModule {}
Module({ controllers: [HealthController, ReleasesController] })(FloorModule);

/** The floor app, initialised, not listening (bench/where-time-goes.mjs runs it in-process). */
export async function createFloorApp() {
  const app = await NestFactory.create(FloorModule, { logger: false, bodyParser: false });
  await prisma.$connect();
  await app.init();
  return { app, close: () => app.close().then(() => prisma.$disconnect()) };
}

if (import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  const { app, close } = await createFloorApp();
  await app.listen(0, '127.0.0.1');
  process.stdout.write(`LISTENING ${app.getHttpServer().address().port}\n`);
  process.on('SIGTERM', () => close().then(() => process.exit(0)));
}
