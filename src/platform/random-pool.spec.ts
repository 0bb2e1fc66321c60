import { randomIdBytes } from './random-pool';

describe('randomIdBytes', () => {
  it('hands out distinct bytes across many refills of the pool', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(randomIdBytes(16).toString('hex'));
    expect(seen.size).toBe(2000);
  });

  it('returns buffers of their own, which a later refill does not change', () => {
    const first = randomIdBytes(16);
    const copy = Buffer.from(first);
    for (let i = 0; i < 600; i++) randomIdBytes(16);
    expect(first.equals(copy)).toBe(true);
  });

  it('gives the size asked for, and refuses more than the pool holds', () => {
    expect(randomIdBytes(5)).toHaveLength(5);
    expect(randomIdBytes(4096)).toHaveLength(4096);
    expect(() => randomIdBytes(4097)).toThrow(RangeError);
  });
});
