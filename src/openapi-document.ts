import { randomBytes } from 'node:crypto';
import { NestFactory } from '@nestjs/core';
import type { OpenAPIObject } from '@nestjs/swagger';
import { AppModule } from './app.module';
import { buildOpenApiDocument } from './platform/openapi/openapi';

/**
 * The document GET /openapi.json serves, built without a database or a
 * listening server (`npm run openapi:json`, `npm run client:types`): the
 * module graph is created but never initialized, so nothing connects. The
 * settings only have to pass validation; none of them shapes the document.
 */
export async function openApiDocument(): Promise<OpenAPIObject> {
  const env = {
    NODE_ENV: 'development',
    DATABASE_URL: 'postgresql://openapi@127.0.0.1:1/never-connected',
    REDIS_URL: '',
    LOG_LEVEL: 'silent',
    API_KEY_PEPPER: randomBytes(32).toString('base64'),
    ENCRYPTION_KEY: `t1:${randomBytes(32).toString('base64')}`,
  };
  const app = await NestFactory.create(AppModule.forRoot({ env }), { logger: false, abortOnError: false });
  try {
    return buildOpenApiDocument(app);
  } finally {
    await app.close();
  }
}
