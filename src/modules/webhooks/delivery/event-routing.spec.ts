import { deliveryBody, endpointsForEvent } from './event-routing';

const t0 = new Date('2026-01-01T00:00:00Z');
const later = new Date('2026-01-01T00:01:00Z');
const endpoint = (id: string, events: string[], orgId = 'org_A', createdAt = t0) => ({ id, orgId, events, createdAt });

describe('endpointsForEvent', () => {
  const endpoints = [
    endpoint('we_all', ['*']),
    endpoint('we_status', ['release.status_changed']),
    endpoint('we_tracks', ['track.created', 'track.updated']),
    endpoint('we_other_org', ['*'], 'org_B'),
    endpoint('we_new', ['*'], 'org_A', new Date('2026-01-01T00:05:00Z')),
  ];

  it('picks the same organization\'s endpoints subscribed by name or "*"', () => {
    const ids = endpointsForEvent({ orgId: 'org_A', type: 'release.status_changed', data: {}, occurredAt: later }, endpoints).map((e) => e.id);
    expect(ids).toEqual(['we_all', 'we_status']);
  });

  it('skips endpoints created after the event occurred', () => {
    const ids = endpointsForEvent({ orgId: 'org_A', type: 'track.created', data: {}, occurredAt: later }, endpoints).map((e) => e.id);
    expect(ids).toEqual(['we_all', 'we_tracks']);
  });

  it('sends operational events to the other subscribed endpoints, never the one they are about', () => {
    for (const type of ['webhook_endpoint.disabled', 'webhook_message.failed']) {
      const ids = endpointsForEvent({ orgId: 'org_A', type, data: { endpointId: 'we_all' }, occurredAt: later }, [...endpoints, endpoint('we_ops', [type])]).map((e) => e.id);
      expect(ids).toEqual(['we_ops']);
    }
  });

  it('sends webhook.test only to the endpoint it names, in the same organization', () => {
    const route = (endpointId: string, orgId = 'org_A') =>
      endpointsForEvent({ orgId, type: 'webhook.test', data: { endpointId }, occurredAt: later }, endpoints).map((e) => e.id);
    expect(route('we_tracks')).toEqual(['we_tracks']);
    expect(route('we_other_org')).toEqual([]);
    expect(route('we_missing')).toEqual([]);
  });
});

describe('deliveryBody', () => {
  it('is the Standard Webhooks envelope { type, timestamp, data }', () => {
    expect(JSON.parse(deliveryBody({ type: 'release.created', occurredAt: t0, data: { release: { id: 'rel_1' } } }))).toEqual({
      type: 'release.created',
      timestamp: '2026-01-01T00:00:00.000Z',
      data: { release: { id: 'rel_1' } },
    });
  });
});
