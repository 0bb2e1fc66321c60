import { Controller, Delete, forwardRef, Get, Module, Patch, Post, Put, All, UseInterceptors, type NestInterceptor } from '@nestjs/common';
import { INTERCEPTORS_METADATA } from '@nestjs/common/constants';
import { RequestTransactionInterceptor } from '../request-transaction/request-transaction.interceptor';
import { bindRequestTransaction, isMutatingRoute } from './mutating-routes';

class OwnInterceptor implements NestInterceptor {
  intercept(_: never, next: { handle: () => never }) {
    return next.handle();
  }
}

const bound = (handler: unknown) => (Reflect.getMetadata(INTERCEPTORS_METADATA, handler as object) as unknown[] | undefined) ?? [];

function fixtures() {
  @Controller('things')
  class Things {
    @Get() list() {}
    @Post() create() {}
    @Put(':id') replace() {}
    @Patch(':id') update() {}
    @Delete(':id') remove() {}
    @All('any') any() {}
    @Post('upload') @UseInterceptors(OwnInterceptor) upload() {}
    helper() {}
  }
  @Controller('deep')
  class Deep {
    @Post() create() {}
    @Get() read() {}
  }
  @Controller('late')
  class Late {
    @Delete() remove() {}
  }
  @Module({ controllers: [Deep] })
  class DeepModule {}
  @Module({ controllers: [Late] })
  class LateModule {}
  @Module({ imports: [DeepModule, forwardRef(() => LateModule)] })
  class FeatureModule {}
  return { Things, Deep, Late, root: { module: class Root {}, controllers: [Things], imports: [FeatureModule] } };
}

describe('bindRequestTransaction', () => {
  it('binds the request transaction to every mutating handler and to no read', () => {
    const { Things, Deep, Late, root } = fixtures();
    bindRequestTransaction([root]);
    for (const handler of [Things.prototype.create, Things.prototype.replace, Things.prototype.update, Things.prototype.remove, Things.prototype.any, Deep.prototype.create, Late.prototype.remove]) {
      expect(bound(handler)).toEqual([RequestTransactionInterceptor]);
    }
    for (const handler of [Things.prototype.list, Deep.prototype.read, Things.prototype.helper]) expect(bound(handler)).toEqual([]);
  });

  it("runs it first, ahead of the handler's own interceptors, as it ran when it was global", () => {
    const { Things, root } = fixtures();
    bindRequestTransaction([root]);
    expect(bound(Things.prototype.upload)).toEqual([RequestTransactionInterceptor, OwnInterceptor]);
  });

  it('binds once when apps are built again from the same classes', () => {
    const { Things, root } = fixtures();
    bindRequestTransaction([root]);
    bindRequestTransaction([root]);
    expect(bound(Things.prototype.create)).toEqual([RequestTransactionInterceptor]);
  });

  it('tells mutating routes from reads and from methods that are no route', () => {
    const { Things } = fixtures();
    expect(isMutatingRoute(Things.prototype.create)).toBe(true);
    expect(isMutatingRoute(Things.prototype.list)).toBe(false);
    expect(isMutatingRoute(Things.prototype.helper)).toBe(false);
  });
});
