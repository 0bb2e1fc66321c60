import { ChainVerifier, GENESIS_HASH, StoredChainedEvent, canonicalEvent, chainHash } from './audit-chain';

function chain(n: number): StoredChainedEvent[] {
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
    const hash = chainHash(prev, fields);
    out.push({ ...fields, prevHash: prev, hash });
    prev = hash;
  }
  return out;
}

function verify(events: StoredChainedEvent[]) {
  const v = new ChainVerifier();
  events.forEach((e) => v.feed(e));
  return v.result();
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
    forged[1] = { ...edited, hash: chainHash(edited.prevHash, edited) };
    // Its own hash now matches, but the next event still links to the old one.
    expect(verify(forged)).toMatchObject({ ok: false, firstBrokenId: forged[2].id });
  });
});
