import { missingTunedFlags, nodeFlagGiven } from './node-flags';

describe('missingTunedFlags', () => {
  it('asks for the semi-space cap when nothing sets it', () => {
    expect(missingTunedFlags([], undefined)).toEqual(['--max-semi-space-size=8']);
    expect(missingTunedFlags(['--enable-source-maps'], '--max-old-space-size=512')).toEqual(['--max-semi-space-size=8']);
  });

  it("leaves an operator's own value alone, on the command line or in NODE_OPTIONS, in either spelling", () => {
    expect(missingTunedFlags(['--max-semi-space-size=16'], undefined)).toEqual([]);
    expect(missingTunedFlags([], '--inspect --max_semi_space_size=4')).toEqual([]);
  });
});

describe('nodeFlagGiven', () => {
  it('finds a flag on the command line or in NODE_OPTIONS, with or without a value, in either spelling', () => {
    expect(nodeFlagGiven('--expose-gc', ['--expose-gc'], undefined)).toBe(true);
    expect(nodeFlagGiven('--expose-gc', [], '--inspect --expose_gc')).toBe(true);
    expect(nodeFlagGiven('--max-semi-space-size', [], '--max-semi-space-size=4')).toBe(true);
  });

  it('does not take a longer flag that starts with the same name', () => {
    expect(nodeFlagGiven('--expose-gc', ['--expose-gc-as=collect'], undefined)).toBe(false);
    expect(nodeFlagGiven('--expose-gc', [], undefined)).toBe(false);
  });
});
