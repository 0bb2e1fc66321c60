import { MemoryWindowCounters } from './window-counters';

describe('MemoryWindowCounters (fixed window)', () => {
  let now: number;
  let counters: MemoryWindowCounters;
  beforeEach(() => {
    now = 1_000_000;
    counters = new MemoryWindowCounters(() => now);
  });

  it('opens a window on the first hit and counts within it', async () => {
    expect(await counters.hit('k', 60_000)).toEqual({ count: 1, resetMs: 60_000 });
    now += 15_000;
    expect(await counters.hit('k', 60_000)).toEqual({ count: 2, resetMs: 45_000 });
  });

  it('starts a new window once the old one has ended', async () => {
    await counters.hit('k', 1000);
    await counters.hit('k', 1000);
    now += 1000;
    expect(await counters.hit('k', 1000)).toEqual({ count: 1, resetMs: 1000 });
  });

  it('keeps keys apart', async () => {
    await counters.hit('a', 1000);
    expect(await counters.hit('b', 1000)).toEqual({ count: 1, resetMs: 1000 });
  });

  it('peeks without counting', async () => {
    expect(await counters.peek('k', 5000)).toEqual({ count: 0, resetMs: 5000 });
    await counters.hit('k', 5000);
    now += 2000;
    expect(await counters.peek('k', 5000)).toEqual({ count: 1, resetMs: 3000 });
    expect(await counters.peek('k', 5000)).toEqual({ count: 1, resetMs: 3000 });
    now += 3000;
    expect(await counters.peek('k', 5000)).toEqual({ count: 0, resetMs: 5000 });
  });

  it('sweeps ended windows so memory follows live windows only', async () => {
    for (let i = 0; i < 100; i++) await counters.hit(`k${i}`, 1000);
    expect(counters.size).toBe(100);
    now += 61_000;
    await counters.hit('fresh', 1000);
    expect(counters.size).toBe(1);
  });
});
