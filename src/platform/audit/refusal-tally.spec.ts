import { OVERFLOW_ROUTE, RefusalTally, SAMPLED_REQUEST_IDS, type AnonymousRefusal } from './refusal-tally';

const at = (s: number) => new Date(Date.UTC(2026, 11, 2, 12, 0, s));
const refusal = (over: Partial<AnonymousRefusal> = {}): AnonymousRefusal => ({
  ip: '203.0.113.7',
  action: 'auth.authenticate',
  statusCode: 401,
  reason: 'key_unknown',
  method: 'GET',
  route: '/v1/releases/:id',
  userAgent: 'curl/8',
  requestId: 'req-1',
  at: at(0),
  ...over,
});

describe('RefusalTally', () => {
  it('counts repeated refusals of one address into one event with the window it spans', () => {
    const tally = new RefusalTally(100);
    for (let i = 0; i < 500; i++) tally.add(refusal({ at: at(i % 60), requestId: `req-${i}` }));
    const [event, ...rest] = tally.drain();
    expect(rest).toEqual([]);
    expect(event).toMatchObject({
      orgId: null,
      actorType: 'anonymous',
      action: 'auth.authenticate',
      outcome: 'denied',
      statusCode: 401,
      ip: '203.0.113.7',
      requestId: 'req-0',
      changes: { method: 'GET', route: '/v1/releases/:id', reason: 'key_unknown', count: 500, firstAt: at(0).toISOString(), lastAt: at(59).toISOString() },
    });
    // A bounded sample of request ids, the first ones, so a client quoting one finds its refusal.
    expect((event.changes as { requestIds: string[] }).requestIds).toEqual(Array.from({ length: SAMPLED_REQUEST_IDS }, (_, i) => `req-${i}`));
  });

  it('keeps addresses, statuses, reasons and routes apart', () => {
    const tally = new RefusalTally(100);
    tally.add(refusal());
    tally.add(refusal({ ip: '203.0.113.8' }));
    tally.add(refusal({ statusCode: 429, action: 'request.throttle', reason: undefined }));
    tally.add(refusal({ reason: 'credential_missing' }));
    tally.add(refusal({ route: '/v1/api-keys' }));
    tally.add(refusal());
    const events = tally.drain();
    expect(events).toHaveLength(5);
    expect(events.map((e) => (e.changes as { count: number }).count).sort()).toEqual([1, 1, 1, 1, 2]);
  });

  it('drains to empty', () => {
    const tally = new RefusalTally(10);
    tally.add(refusal());
    expect(tally.drain()).toHaveLength(1);
    expect(tally.size).toBe(0);
    expect(tally.drain()).toEqual([]);
  });

  it('stays bounded when addresses rotate, counting the excess in an overflow bucket', () => {
    const tally = new RefusalTally(3);
    for (let i = 0; i < 1000; i++) tally.add(refusal({ ip: `2001:db8::${i.toString(16)}` }));
    expect(tally.size).toBe(4);
    const overflow = tally.drain().find((e) => (e.changes as { route: string }).route === OVERFLOW_ROUTE);
    expect(overflow).toMatchObject({ ip: null, userAgent: null, changes: { count: 997 } });
  });
});
