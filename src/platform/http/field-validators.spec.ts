import { validate } from 'class-validator';
import { IsOptionalNotNull, IsSingleLineText, isSingleLineText } from './field-validators';

describe('isSingleLineText', () => {
  it.each(['Kind of Blue', '  padded  ', '℗ 1959 Columbia', 'Björk', '東京'])('accepts %p', (text) => {
    expect(isSingleLineText(text)).toBe(true);
  });

  it.each([
    ['empty', ''],
    ['blank', '   '],
    ['NUL (PostgreSQL refuses it in text)', 'a\u0000b'],
    ['line break', 'a\nb'],
    ['tab', 'a\tb'],
    ['DEL', 'a\u007fb'],
  ])('rejects %s', (_label, text) => {
    expect(isSingleLineText(text)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(isSingleLineText(1)).toBe(false);
    expect(isSingleLineText(null)).toBe(false);
  });
});

describe('IsOptionalNotNull', () => {
  class Input {
    @IsOptionalNotNull()
    @IsSingleLineText()
    title?: unknown;
  }

  it('skips an absent property but validates null', async () => {
    expect(await validate(new Input())).toEqual([]);
    expect(await validate(Object.assign(new Input(), { title: null }))).toHaveLength(1);
    expect(await validate(Object.assign(new Input(), { title: 'ok' }))).toEqual([]);
  });
});
