// Properties of the audit hash chain (API guide: Audit trail): any chain built with
// chainHash verifies, and changing any one field of any one event — content,
// position or link — is caught, naming that event (or, for a consistently
// re-hashed forgery, the next one).
import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import { ChainVerifier, GENESIS_HASH, KEYED_HASH_VERSION, StoredChainedEvent, chainHash, canonicalEvent, type ChainedEventFields } from './audit-chain';

const KEY = randomBytes(32);

const RUNS = { numRuns: 250 };

const text = fc.string({ maxLength: 40 });
const nullableText = fc.option(text, { nil: null });
const fields = fc.record({
  orgId: nullableText,
  occurredAt: fc.date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2035-01-01T00:00:00Z'), noInvalidDate: true }),
  actorType: fc.constantFrom('api_key', 'token', 'partner', 'system', 'anonymous'),
  actorId: nullableText,
  action: text,
  resourceType: nullableText,
  resourceId: nullableText,
  outcome: fc.constantFrom('success', 'denied', 'error'),
  statusCode: fc.integer({ min: 100, max: 599 }),
  ip: nullableText,
  userAgent: nullableText,
  requestId: nullableText,
  changes: fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: null }),
});

function build(drafts: Array<Omit<ChainedEventFields, 'id' | 'seq'>>): StoredChainedEvent[] {
  let prev = GENESIS_HASH;
  return drafts.map((draft, i) => {
    const event = { ...draft, id: `aud_${String(i + 1).padStart(26, '0')}`, seq: BigInt(i + 1) };
    const hash = chainHash(prev, event, KEY);
    const stored = { ...event, prevHash: prev, hash, hashVersion: KEYED_HASH_VERSION };
    prev = hash;
    return stored;
  });
}

function verify(events: StoredChainedEvent[]) {
  const verifier = new ChainVerifier(KEY);
  for (const event of events) verifier.feed(event);
  return verifier.result();
}

const chain = fc.array(fields, { minLength: 1, maxLength: 6 }).map(build);

type Field = keyof StoredChainedEvent;
const FIELDS: Field[] = [
  'id', 'orgId', 'seq', 'occurredAt', 'actorType', 'actorId', 'action', 'resourceType', 'resourceId',
  'outcome', 'statusCode', 'ip', 'userAgent', 'requestId', 'changes', 'prevHash', 'hash', 'hashVersion',
];

const NULLABLE = new Set<Field>(['orgId', 'actorId', 'resourceType', 'resourceId', 'ip', 'userAgent', 'requestId']);

/** A different value for `field`, of a type the column could hold. */
function mutate(event: StoredChainedEvent, field: Field, noise: string, n: number): StoredChainedEvent {
  const value = event[field];
  let next: unknown;
  if (field === 'seq') next = event.seq + BigInt(n === 0 ? 1 : n);
  else if (field === 'occurredAt') next = new Date(event.occurredAt.getTime() + (n === 0 ? 1 : n));
  else if (field === 'statusCode') next = event.statusCode + (n === 0 ? 1 : n);
  else if (field === 'hashVersion') next = event.hashVersion === 1 ? 2 : 1;
  else if (field === 'changes') next = { before: value ?? null, tampered: noise };
  else if (field === 'prevHash' || field === 'hash') next = (value as string).slice(0, -1) + ((value as string).endsWith('0') ? '1' : '0');
  else if (value === null) next = noise;
  else next = NULLABLE.has(field) && n % 3 === 0 ? null : `${value as string}${noise}`;
  return { ...event, [field]: next };
}

describe('audit hash chain (properties)', () => {
  it('verifies every chain built link by link', () => {
    fc.assert(
      fc.property(chain, (events) => {
        const result = verify(events);
        return result.ok && result.checked === events.length && result.firstBrokenId === undefined;
      }),
      RUNS,
    );
  });

  it('breaks at the edited event when any single field of any event changes', () => {
    fc.assert(
      fc.property(chain, fc.nat(), fc.constantFrom(...FIELDS), fc.string({ minLength: 1, maxLength: 5 }), fc.integer({ min: -1000, max: 1000 }), (events, at, field, noise, n) => {
        const i = at % events.length;
        const tampered = events.slice();
        tampered[i] = mutate(events[i], field, noise, n);
        // A "change" that canonicalises to the same event (e.g. a null orgId set to null) is no change.
        fc.pre(field === 'seq' || field === 'prevHash' || field === 'hash' || field === 'hashVersion' || canonicalEvent(tampered[i]) !== canonicalEvent(events[i]));
        const result = verify(tampered);
        return !result.ok && result.firstBrokenId === tampered[i].id && result.checked === i + 1;
      }),
      RUNS,
    );
  });

  it('catches an edit re-hashed to look consistent at the next event, and a deleted, duplicated or reordered event', () => {
    fc.assert(
      fc.property(fc.array(fields, { minLength: 3, maxLength: 6 }).map(build), fc.nat(), fc.string({ minLength: 1, maxLength: 5 }), (events, at, noise) => {
        const i = at % (events.length - 1);
        const edited = { ...events[i], action: events[i].action + noise };
        const forged = events.slice();
        forged[i] = { ...edited, hash: chainHash(edited.prevHash, edited, KEY) };
        const deleted = events.filter((_, j) => j !== i);
        const duplicated = [...events.slice(0, i + 1), events[i], ...events.slice(i + 1)];
        const swapped = events.slice();
        [swapped[i], swapped[i + 1]] = [swapped[i + 1], swapped[i]];
        return (
          verify(forged).firstBrokenId === events[i + 1].id &&
          !verify(deleted).ok &&
          !verify(duplicated).ok &&
          verify(swapped).firstBrokenId === swapped[i].id
        );
      }),
      RUNS,
    );
  });
});
