import { CLAIM_AT_LEAST, DELIVERY_CONCURRENCY, DeliveryPump, PumpControl } from './delivery-pump';
import type { DeliveryWorker, PreparedMessage } from './delivery-worker';

/**
 * A worker over `backlog` due messages whose deliveries finish when the test
 * says so; `cap` plays the per-endpoint fairness cap (one endpoint): a claim
 * returns no more than the cap minus what is in flight.
 */
function fakeWorker(backlog: number, cap = Infinity) {
  let next = 0;
  const pending = new Map<string, () => void>();
  const claims: number[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const worker = {
    claim: jest.fn(async (limit: number) => {
      claims.push(limit);
      const n = Math.max(0, Math.min(limit, backlog - next, cap - inFlight));
      return Array.from({ length: n }, () => ({ id: `msg_${next++}` }) as PreparedMessage);
    }),
    deliver: jest.fn(
      (message: PreparedMessage) =>
        new Promise<void>((resolve) => {
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          pending.set(message.id, () => {
            inFlight--;
            pending.delete(message.id);
            resolve();
          });
        }),
    ),
  };
  return {
    worker: worker as unknown as DeliveryWorker,
    mock: worker,
    claims,
    pending,
    get maxInFlight() {
      return maxInFlight;
    },
    finish(count: number) {
      for (const done of [...pending.values()].slice(0, count)) done();
    },
  };
}

function control() {
  const state = { stopping: false, idles: 0, wake: () => {} };
  const c: PumpControl & { stop(): void; wakeUp(): void; idles: number } = {
    get stopping() {
      return state.stopping;
    },
    get idles() {
      return state.idles;
    },
    idle: (_ms: number, until?: Promise<unknown>) => {
      state.idles++;
      return new Promise<void>((resolve) => {
        state.wake = resolve;
        void until?.then(() => resolve());
      });
    },
    wakeUp() {
      state.wake();
    },
    stop() {
      state.stopping = true;
      state.wake();
    },
  };
  return c;
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('DeliveryPump', () => {
  it('keeps at most DELIVERY_CONCURRENCY deliveries in flight and claims only free slots, in groups', async () => {
    const fake = fakeWorker(1000);
    const ctl = control();
    const running = new DeliveryPump(fake.worker, ctl, 250, 0).run();
    await settle();
    expect(fake.claims).toEqual([DELIVERY_CONCURRENCY]);
    expect(fake.pending.size).toBe(DELIVERY_CONCURRENCY);

    // Fewer free slots than a claim's worth: no claim yet.
    fake.finish(CLAIM_AT_LEAST - 1);
    await settle();
    expect(fake.claims).toHaveLength(1);
    fake.finish(1);
    await settle();
    expect(fake.claims).toEqual([DELIVERY_CONCURRENCY, CLAIM_AT_LEAST]);
    expect(fake.pending.size).toBe(DELIVERY_CONCURRENCY);

    ctl.stop();
    fake.finish(DELIVERY_CONCURRENCY);
    await running;
    expect(fake.maxInFlight).toBe(DELIVERY_CONCURRENCY);
  });

  it('idles when the claim comes back short, and on shutdown waits for every delivery in flight', async () => {
    const fake = fakeWorker(5);
    const ctl = control();
    let finished = false;
    const running = new DeliveryPump(fake.worker, ctl, 250, 0).run().then(() => (finished = true));
    await settle();
    expect(fake.claims).toEqual([DELIVERY_CONCURRENCY]);
    expect(ctl.idles).toBe(1);

    ctl.stop();
    await settle();
    expect(finished).toBe(false);
    fake.finish(4);
    await settle();
    expect(finished).toBe(false);
    fake.finish(1);
    await running;
    expect(fake.claims).toHaveLength(1);
  });

  it('claims again as soon as a delivery finishes when the fairness cap held the claim short, not after the poll interval', async () => {
    const cap = 16;
    const fake = fakeWorker(1000, cap);
    const ctl = control();
    const running = new DeliveryPump(fake.worker, ctl, 250, 0).run();
    await settle();
    expect(fake.claims).toEqual([DELIVERY_CONCURRENCY]);
    expect(fake.pending.size).toBe(cap);
    expect(ctl.idles).toBe(1);

    // No wake-up and no timer: a finished delivery alone ends the wait.
    fake.finish(4);
    await settle();
    expect(fake.claims).toHaveLength(2);
    expect(fake.pending.size).toBe(cap);

    ctl.stop();
    fake.finish(cap);
    await running;
    expect(fake.maxInFlight).toBe(cap);
  });

  it('keeps going after a failed claim', async () => {
    const fake = fakeWorker(3);
    fake.mock.claim.mockRejectedValueOnce(new Error('database unavailable'));
    const ctl = control();
    const pump = new DeliveryPump(fake.worker, ctl, 250, 0);
    jest.spyOn((pump as unknown as { logger: { error: () => void } }).logger, 'error').mockImplementation(() => undefined);
    const running = pump.run();
    await settle();
    expect(ctl.idles).toBe(1);
    expect(fake.pending.size).toBe(0);
    ctl.wakeUp();
    await settle();
    expect(fake.claims).toEqual([DELIVERY_CONCURRENCY]);
    expect(fake.pending.size).toBe(3);
    ctl.stop();
    fake.finish(3);
    await running;
  });
});
