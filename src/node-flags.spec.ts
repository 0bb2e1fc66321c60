import { missingTunedFlags } from './node-flags';

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
