import { Controller, Get, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { SwaggerModule } from '@nestjs/swagger';
import supertest from 'supertest';
import { mountOpenApi } from './openapi';

@Controller('things')
class ThingsController {
  @Get()
  list() {
    return [];
  }
}

@Module({ controllers: [ThingsController] })
class ThingsModule {}

describe('mountOpenApi', () => {
  afterEach(() => jest.restoreAllMocks());

  it('builds the document on the first request for it, once, not when the app boots', async () => {
    const built = jest.spyOn(SwaggerModule, 'createDocument');
    const moduleRef = await Test.createTestingModule({ imports: [ThingsModule] }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    mountOpenApi(app);
    await app.init();
    try {
      expect(built).not.toHaveBeenCalled();

      const http = supertest(app.getHttpServer());
      const first = await http.get('/openapi.json').expect(200);
      expect(first.body.paths['/things'].get).toBeDefined();
      const second = await http.get('/openapi.json').expect(200);
      expect(second.text).toBe(first.text);
      await http.get('/docs/swagger-ui-init.js').expect(200);
      expect(built).toHaveBeenCalledTimes(1);
    } finally {
      await app.close();
    }
  });
});
