// Which endpoints an outbox event goes to (API guide: Webhooks). Pure.

export const ALL_EVENTS = '*';

const OPERATIONAL_EVENTS = new Set(['webhook_endpoint.disabled', 'webhook_message.failed']);

export interface RoutableEvent {
  orgId: string;
  type: string;
  data: unknown;
  occurredAt: Date;
}

export interface RoutableEndpoint {
  id: string;
  orgId: string;
  events: readonly string[];
  createdAt: Date;
}

/**
 * The enabled endpoints (the caller passes only those) of the event's
 * organization that subscribe to its type, by name or with "*".
 *
 * - `webhook.test` goes only to the endpoint it was queued for
 *   (`data.endpointId`), whatever that endpoint subscribes to.
 * - Operational events (`webhook_endpoint.disabled`, `webhook_message.failed`)
 *   go to the organization's other endpoints: the one they are about is
 *   disabled or failing, and telling it would be telling no one.
 * - An endpoint receives events that occurred after it was created: one made
 *   while older events still wait for fan-out does not get a backlog it never
 *   asked for (and the result does not depend on how fast the dispatcher is).
 */
export function endpointsForEvent<E extends RoutableEndpoint>(event: RoutableEvent, endpoints: readonly E[]): E[] {
  const sameOrg = endpoints.filter((e) => e.orgId === event.orgId);
  if (event.type === 'webhook.test') {
    const target = (event.data as { endpointId?: unknown } | null)?.endpointId;
    return sameOrg.filter((e) => e.id === target);
  }
  const about = OPERATIONAL_EVENTS.has(event.type) ? (event.data as { endpointId?: unknown } | null)?.endpointId : undefined;
  return sameOrg.filter(
    (e) =>
      e.id !== about && e.createdAt.getTime() <= event.occurredAt.getTime() && (e.events.includes(ALL_EVENTS) || e.events.includes(event.type)),
  );
}

/** The body of every delivery of an event: Standard Webhooks' `{ type, timestamp, data }`. */
export function deliveryBody(event: { type: string; occurredAt: Date; data: unknown }): string {
  return JSON.stringify({ type: event.type, timestamp: event.occurredAt.toISOString(), data: event.data });
}
