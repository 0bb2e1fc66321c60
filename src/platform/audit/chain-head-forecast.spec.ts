import { ChainHeadForecast } from './chain-head-forecast';

const at = (seq: number) => ({ seq: BigInt(seq), hash: String(seq).padStart(64, '0') });

describe('ChainHeadForecast', () => {
  it('knows nothing of a chain until an append advances it, then the last append', () => {
    const forecast = new ChainHeadForecast();
    expect(forecast.expected('org_a')).toBeUndefined();
    forecast.advance('org_a', at(1));
    forecast.advance('org_a', at(2));
    expect(forecast.expected('org_a')).toEqual(at(2));
  });

  it('forgets the chain appended to least recently once it holds more than its capacity', () => {
    const forecast = new ChainHeadForecast(2);
    forecast.advance('org_a', at(1));
    forecast.advance('org_b', at(1));
    forecast.advance('org_a', at(2));
    forecast.advance('org_c', at(1));
    expect(forecast.expected('org_b')).toBeUndefined();
    expect(forecast.expected('org_a')).toEqual(at(2));
    expect(forecast.expected('org_c')).toEqual(at(1));
  });
});

describe('ChainHeadForecast.inTurn', () => {
  const later = () => {
    let settle!: () => void;
    const promise = new Promise<void>((resolve) => (settle = resolve));
    return { promise, settle };
  };

  it('runs the appends of one chain one after the other, in the order they asked, and other chains alongside', async () => {
    const forecast = new ChainHeadForecast();
    const log: string[] = [];
    const first = later();
    const a1 = forecast.inTurn('org_a', {}, async () => {
      log.push('a1 start');
      await first.promise;
      log.push('a1 end');
    });
    const a2 = forecast.inTurn('org_a', {}, async () => void log.push('a2'));
    const b1 = forecast.inTurn('org_b', {}, async () => void log.push('b1'));
    await b1;
    expect(log).toEqual(['a1 start', 'b1']);
    first.settle();
    await Promise.all([a1, a2]);
    expect(log).toEqual(['a1 start', 'b1', 'a1 end', 'a2']);
  });

  it('passes the turn on when an append fails', async () => {
    const forecast = new ChainHeadForecast();
    const failed = forecast.inTurn('org_a', {}, () => Promise.reject(new Error('statement failed')));
    await expect(failed).rejects.toThrow('statement failed');
    await expect(forecast.inTurn('org_a', {}, async () => 'next')).resolves.toBe('next');
  });

  it('lets a transaction that already holds the head append again at once, ahead of the appends waiting for its commit', async () => {
    const forecast = new ChainHeadForecast(10, 60_000);
    const transaction = {};
    const commit = later();
    await forecast.inTurn('org_a', transaction, async () => undefined);
    // Another transaction's append: in the database it would wait for this transaction's commit.
    const waiting = forecast.inTurn('org_a', {}, () => commit.promise);
    await expect(forecast.inTurn('org_a', transaction, async () => 'again')).resolves.toBe('again');
    commit.settle();
    await waiting;
  });

  it('goes ahead after its patience when the turn before never ends', async () => {
    const forecast = new ChainHeadForecast(10, 50);
    void forecast.inTurn('org_a', {}, () => new Promise(() => undefined));
    await expect(forecast.inTurn('org_a', {}, async () => 'went ahead')).resolves.toBe('went ahead');
  });
});
