import type { ChainPosition } from './audit-chain';

/**
 * Where this process expects each audit chain's head to be when its next
 * append reaches the database: the event it appended last.
 *
 * It is only a guess. The append statement moves the head and inserts the
 * event only when the head is still where the guess says; otherwise (another
 * instance appended, a transaction rolled back) it returns the real head,
 * locked, and the append is made again from it, as without a forecast. So a
 * wrong guess costs one statement and never a wrong link.
 *
 * Appends to one chain take turns in the process (`inTurn`): the next one is
 * sent once the one before has placed its event, and so links to it. Sent
 * together, they would reach the head's lock in an order of the database's
 * choosing, and one append out of order would make every append already
 * waiting miss.
 *
 * The turns are a few lines here rather than a keyed mutex from a library
 * (async-mutex, p-queue): they must let a transaction that already holds the
 * head through at once, and go ahead after a timeout instead of failing,
 * since order is only an optimisation; neither library does both.
 */
export class ChainHeadForecast {
  private readonly heads = new Map<string, ChainPosition>();
  private readonly turns = new Map<string, Promise<void>>();
  /** Transactions (their clients: a new one per transaction) and the chains whose head each holds until it ends. */
  private readonly holders = new WeakMap<object, Set<string>>();

  /**
   * `capacity`: chains remembered; the least recently appended to are forgotten first.
   * `patienceMs`: how long an append waits for its turn.
   */
  constructor(
    private readonly capacity = 10_000,
    private readonly patienceMs = 1_000,
  ) {}

  expected(chain: string): ChainPosition | undefined {
    return this.heads.get(chain);
  }

  advance(chain: string, head: ChainPosition): void {
    // Re-inserted so the Map's order is recency, and the oldest is the first key.
    this.heads.delete(chain);
    this.heads.set(chain, head);
    if (this.heads.size > this.capacity) this.heads.delete(this.heads.keys().next().value as string);
  }

  /**
   * Runs `append` for `holder` (the transaction appending) after every append
   * to `chain` that asked before it has settled, and before any that asks
   * later. A transaction that already holds the chain's head appends at once:
   * the appends queued behind it are waiting for its commit. The wait is only
   * for order, so after `patienceMs` an append goes ahead regardless rather
   * than wait on a cycle the database cannot see.
   */
  async inTurn<T>(chain: string, holder: object, append: () => Promise<T>): Promise<T> {
    const held = this.holders.get(holder);
    if (held?.has(chain)) return append();
    const before = this.turns.get(chain);
    let done!: () => void;
    const mine = new Promise<void>((resolve) => (done = resolve));
    this.turns.set(chain, mine);
    try {
      if (before) await patiently(before, this.patienceMs);
      const result = await append();
      if (held) held.add(chain);
      else this.holders.set(holder, new Set([chain]));
      return result;
    } finally {
      done();
      if (this.turns.get(chain) === mine) this.turns.delete(chain);
    }
  }
}

function patiently(turn: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const impatience = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  return Promise.race([turn, impatience]).finally(() => clearTimeout(timer));
}
