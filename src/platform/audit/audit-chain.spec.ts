import { randomBytes } from 'node:crypto';
import { ChainVerifier, ChainVerifierOptions, GENESIS_HASH, KEYED_HASH_VERSION, LEGACY_HASH_VERSION, StoredChainedEvent, canonicalEvent, chainHash, legacyChainHash } from './audit-chain';

const KEY = randomBytes(32);

/** `n` events; the first `legacy` of them hashed the unkeyed way (written before the keyed chain). */
function chain(n: number, legacy = 0): StoredChainedEvent[] {
  const out: StoredChainedEvent[] = [];
  let prev = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const fields = {
      id: `aud_${String(i).padStart(26, '0')}`,
      orgId: 'org_1',
      seq: BigInt(i),
      occurredAt: new Date(Date.UTC(2026, 10, 25, 12, 0, i)),
      actorType: 'api_key',
      actorId: 'key_1',
      action: 'release.create',
      resourceType: 'release',
      resourceId: `rel_${i}`,
      outcome: 'success',
      statusCode: 201,
      ip: '203.0.113.9',
      userAgent: 'test',
      requestId: `req_${i}`,
      changes: { fields: ['title'], values: { title: `T${i}` } },
    };
    const hashVersion = i <= legacy ? LEGACY_HASH_VERSION : KEYED_HASH_VERSION;
    const hash = hashVersion === LEGACY_HASH_VERSION ? legacyChainHash(prev, fields) : chainHash(prev, fields, KEY);
    out.push({ ...fields, prevHash: prev, hash, hashVersion });
    prev = hash;
  }
  return out;
}

function verify(events: StoredChainedEvent[], options: ChainVerifierOptions = {}, key: Buffer = KEY) {
  const v = new ChainVerifier(key, options);
  events.forEach((e) => v.feed(e));
  const { head: _head, ...rest } = v.result();
  return rest;
}

/** What someone with write access to the table but not the key can do: recompute every hash from `from` on, the unkeyed way. */
function rechainWithoutKey(events: StoredChainedEvent[], from: number, hashVersion: number): StoredChainedEvent[] {
  const out = events.slice(0, from);
  let prev = from === 0 ? GENESIS_HASH : events[from - 1].hash;
  for (const event of events.slice(from)) {
    const hash = legacyChainHash(prev, event);
    out.push({ ...event, prevHash: prev, hash, hashVersion });
    prev = hash;
  }
  return out;
}

describe('audit hash chain', () => {
  it('canonicalises independently of key order (RFC 8785)', () => {
    const [e] = chain(1);
    const reordered = { ...e, changes: { values: { title: 'T1' }, fields: ['title'] } };
    expect(canonicalEvent(reordered)).toBe(canonicalEvent(e));
    expect(canonicalEvent(e)).toMatch(/^\{"action":"release.create","actor":\{"id":"key_1","type":"api_key"\}/);
  });

  it('verifies an intact chain', () => {
    expect(verify(chain(5))).toEqual({ ok: true, checked: 5 });
    expect(verify([])).toEqual({ ok: true, checked: 0 });
  });

  it('names the first event whose contents were edited', () => {
    const events = chain(5);
    events[2] = { ...events[2], statusCode: 200 };
    expect(verify(events)).toEqual({ ok: false, checked: 3, firstBrokenId: events[2].id });
  });

  it('detects a deleted event, a reordering and a recomputed-but-unlinked hash', () => {
    const deleted = chain(4);
    deleted.splice(1, 1);
    expect(verify(deleted)).toMatchObject({ ok: false, firstBrokenId: deleted[1].id });

    const swapped = chain(4);
    [swapped[1], swapped[2]] = [swapped[2], swapped[1]];
    expect(verify(swapped)).toMatchObject({ ok: false, firstBrokenId: swapped[1].id });

    const forged = chain(3);
    const edited = { ...forged[1], action: 'release.delete' };
    forged[1] = { ...edited, hash: chainHash(edited.prevHash, edited, KEY) };
    // Its own hash now matches, but the next event still links to the old one.
    expect(verify(forged)).toMatchObject({ ok: false, firstBrokenId: forged[2].id });
  });

  describe('keyed (HMAC) hashes', () => {
    it('do not verify under another key', () => {
      expect(verify(chain(3), {}, randomBytes(32))).toEqual({ ok: false, checked: 1, firstBrokenId: chain(3)[0].id });
    });

    it('catch an edit followed by a whole recomputed chain, whatever version the forger claims', () => {
      for (const version of [KEYED_HASH_VERSION, LEGACY_HASH_VERSION]) {
        const events = chain(5);
        events[2] = { ...events[2], outcome: 'denied', statusCode: 403 };
        const forged = rechainWithoutKey(events, 2, version);
        expect(verify(forged)).toEqual({ ok: false, checked: 3, firstBrokenId: events[2].id });
      }
      // Recomputed from the very first event: still caught there.
      expect(verify(rechainWithoutKey(chain(4), 0, LEGACY_HASH_VERSION))).toEqual({ ok: false, checked: 1, firstBrokenId: chain(4)[0].id });
    });

    it('accept unkeyed hashes only on the legacy part of a chain', () => {
      const events = chain(5, 2);
      expect(verify(events, { legacyThroughSeq: 2n })).toEqual({ ok: true, checked: 5 });
      expect(verify(events, { legacyThroughSeq: 1n })).toEqual({ ok: false, checked: 2, firstBrokenId: events[1].id });
      expect(verify(chain(3, 3), { legacyThroughSeq: 3n })).toEqual({ ok: true, checked: 3 });
      // A legacy prefix does not let a forger rewrite what follows it the unkeyed way.
      expect(verify(rechainWithoutKey(events, 3, LEGACY_HASH_VERSION), { legacyThroughSeq: 2n })).toMatchObject({ ok: false, firstBrokenId: events[3].id });
    });

    it('refuse an unknown hash version', () => {
      const events = chain(2);
      events[1] = { ...events[1], hashVersion: 3 };
      expect(verify(events)).toMatchObject({ ok: false, firstBrokenId: events[1].id });
    });
  });

  describe('checkpoints', () => {
    const events = chain(5);
    const at = (i: number) => ({ seq: events[i].seq, hash: events[i].hash });

    it('match a chain that still holds them, and report the verified head', () => {
      expect(verify(events, { checkpoint: at(4) })).toEqual({ ok: true, checked: 5, checkpoint: 'match' });
      expect(verify(events, { checkpoint: at(1) })).toEqual({ ok: true, checked: 5, checkpoint: 'match' });
      expect(verify([], { checkpoint: { seq: 0n, hash: GENESIS_HASH } })).toEqual({ ok: true, checked: 0, checkpoint: 'match' });
      const v = new ChainVerifier(KEY);
      events.forEach((e) => v.feed(e));
      expect(v.result().head).toEqual(at(4));
    });

    it('reveal deleted newest events, which leave an intact chain behind', () => {
      const truncated = events.slice(0, 3);
      expect(verify(truncated)).toEqual({ ok: true, checked: 3 });
      expect(verify(truncated, { checkpoint: at(4) })).toEqual({ ok: false, checked: 3, checkpoint: 'truncated' });
    });

    it('reveal a different event at the checkpoint’s position', () => {
      expect(verify(events, { checkpoint: { seq: 3n, hash: 'f'.repeat(64) } })).toEqual({ ok: false, checked: 5, checkpoint: 'different' });
      expect(verify([], { checkpoint: { seq: 0n, hash: 'f'.repeat(64) } })).toMatchObject({ ok: false, checkpoint: 'different' });
    });

    it('say when the chain broke before reaching them', () => {
      const broken = events.map((e, i) => (i === 1 ? { ...e, statusCode: 500 } : e));
      expect(verify(broken, { checkpoint: at(4) })).toEqual({ ok: false, checked: 2, firstBrokenId: events[1].id, checkpoint: 'unreached' });
    });

    it('check one event on its own when started after its predecessor', () => {
      const v = new ChainVerifier(KEY, { startAfter: { seq: events[3].seq, hash: events[3].hash } });
      expect(v.feed(events[4])).toBe(true);
      const w = new ChainVerifier(KEY, { startAfter: { seq: events[3].seq, hash: events[3].hash } });
      expect(w.feed({ ...events[4], action: 'release.delete' })).toBe(false);
    });
  });
});
