import { Body, Controller, createParamDecorator, Get, Module, Param, ParseIntPipe, Post, Query, type PipeTransform } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { bindInputValidation, INPUT_VALIDATION, isValidatedInput } from './validated-inputs';

const Custom = createParamDecorator(() => 'custom');

class ThingDto {
  name!: string;
}

function fixtures() {
  @Controller('things')
  class Things {
    @Post() create(@Custom() _who: string, @Body() _dto: ThingDto) {}
    @Get() list(@Query() _query: ThingDto, @Query('page', ParseIntPipe) _page: number) {}
    @Get(':id') read(@Param('id') _id: string, @Custom() _who: string) {}
    helper() {}
  }
  @Controller('deep')
  class Deep {
    @Post() create(@Body() _dto: ThingDto) {}
  }
  @Module({ controllers: [Deep] })
  class DeepModule {}
  return { Things, Deep, root: { module: class Root {}, controllers: [Things], imports: [DeepModule] } };
}

/** Each argument of a handler, by its position: its paramtype key and the pipes bound to it. */
function argsOf(controller: object, handler: string): { key: string; pipes: unknown[] }[] {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, controller, handler) ?? {}) as Record<string, { index: number; pipes: unknown[] }>;
  return Object.entries(args)
    .sort(([, a], [, b]) => a.index - b.index)
    .map(([key, arg]) => ({ key, pipes: arg.pipes }));
}

const pipesOf = (controller: object, handler: string) => argsOf(controller, handler).map((a) => a.pipes);

describe('bindInputValidation', () => {
  it('validates every body and query parameter, through imported modules too, and leaves the rest without a pipe', () => {
    const { Things, Deep, root } = fixtures();
    bindInputValidation([root]);
    expect(pipesOf(Things, 'create')).toEqual([[], [INPUT_VALIDATION]]);
    expect(pipesOf(Things, 'read')).toEqual([[], []]);
    expect(pipesOf(Deep, 'create')).toEqual([[INPUT_VALIDATION]]);
  });

  it("runs it first, ahead of the parameter's own pipes, as it ran when it was global", () => {
    const { Things, root } = fixtures();
    bindInputValidation([root]);
    expect(pipesOf(Things, 'list')).toEqual([[INPUT_VALIDATION], [INPUT_VALIDATION, ParseIntPipe]]);
  });

  it('binds once when apps are built again from the same classes', () => {
    const { Things, root } = fixtures();
    bindInputValidation([root]);
    bindInputValidation([root]);
    expect(pipesOf(Things, 'create')).toEqual([[], [INPUT_VALIDATION]]);
  });

  it('binds the pipe it is given', () => {
    const { Deep, root } = fixtures();
    const other: PipeTransform = { transform: (value: unknown) => value };
    bindInputValidation([root], other);
    expect(pipesOf(Deep, 'create')).toEqual([[other]]);
  });

  it('tells bodies and query strings from the other parameters by their metadata key', () => {
    const { Things } = fixtures();
    expect(argsOf(Things, 'create').map((a) => isValidatedInput(a.key))).toEqual([false, true]);
    expect(argsOf(Things, 'read').map((a) => isValidatedInput(a.key))).toEqual([false, false]);
  });
});
