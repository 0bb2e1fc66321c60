import type { HttpsOptions } from '@nestjs/common/interfaces/external/https-options.interface';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { AppLogger } from './platform/logging/app-logger';
import { AppModule, AppModuleOptions } from './app.module';
import { AppConfig } from './config/app-config';
import { configureHttp } from './platform/http/configure-http';
import { mountOpenApi } from './platform/openapi/openapi';

export interface CreateAppOptions extends AppModuleOptions {
  httpsOptions?: HttpsOptions;
}

/** Builds the fully configured HTTP app (not yet listening): main, e2e tests and benchmarks share it. */
export async function createApp(options: CreateAppOptions = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(options), {
    bodyParser: false,
    bufferLogs: true,
    abortOnError: false,
    httpsOptions: options.httpsOptions,
  });
  app.useLogger(app.get(AppLogger));
  configureHttp(app, app.get(AppConfig));
  mountOpenApi(app);
  await app.init();
  return app;
}
