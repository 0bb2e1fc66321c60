// What the webhook scenarios share: delivery settings short enough for a test,
// an endpoint pointing at the fault receiver, and the database's view of the
// messages (the truth the receiver's view is compared with).
import type { FaultDatabase } from './fault-database';
import { call } from './http-client';
import type { OutageReceiver } from './outage-receiver';
import type { Organization } from './processes';

/** API and worker settings: http:// to 127.0.0.1 allowed, fast polling, a retry schedule of seconds. */
export const WEBHOOK_TEST_SETTINGS = {
  WEBHOOKS_ALLOW_HTTP: 'true',
  WEBHOOKS_ALLOW_PRIVATE: 'true',
  WEBHOOK_POLL_INTERVAL_MS: '50',
  WEBHOOK_RETRY_SCHEDULE: '200ms,500ms,1s,2s,5s',
};

/** Subscribes the receiver to every event of `org`; gives the receiver the signing secret. */
export async function subscribeReceiver(apiBaseUrl: string, org: Organization, receiver: OutageReceiver): Promise<string> {
  const res = await call(apiBaseUrl, 'POST', '/v1/webhook-endpoints', { headers: { 'X-API-Key': org.key }, body: { url: receiver.url, events: ['*'] } });
  if (res.status !== 201) throw new Error(`could not create the endpoint: ${res.status} ${res.text}`);
  receiver.secret = res.json.secret as string;
  return res.json.id as string;
}

/** Creates a draft release; returns its id (throws unless 201). */
export async function createRelease(apiBaseUrl: string, org: Organization, title: string): Promise<string> {
  const res = await call(apiBaseUrl, 'POST', '/v1/releases', { headers: { 'X-API-Key': org.key }, body: { title, artists: ['Fault Tester'] } });
  if (res.status !== 201) throw new Error(`could not create a release: ${res.status} ${res.text}`);
  return res.json.id as string;
}

export interface MessageRow extends Record<string, unknown> {
  id: string;
  event_id: string;
  event_type: string;
  status: string;
  attempt_count: number;
  locked_until: Date | null;
}

export function messagesOf(database: FaultDatabase, endpointId: string): Promise<MessageRow[]> {
  return database.query<MessageRow>(
    'SELECT id, event_id, event_type, status, attempt_count, locked_until FROM webhook_messages WHERE endpoint_id = $1 ORDER BY id',
    [endpointId],
  );
}

export interface AttemptRow extends Record<string, unknown> {
  message_id: string;
  attempt_number: number;
  status_code: number | null;
  error: string | null;
}

export function attemptsOf(database: FaultDatabase, endpointId: string): Promise<AttemptRow[]> {
  return database.query<AttemptRow>(
    `SELECT a.message_id, a.attempt_number, a.status_code, a.error
     FROM webhook_attempts a JOIN webhook_messages m ON m.id = a.message_id
     WHERE m.endpoint_id = $1 ORDER BY a.message_id, a.attempt_number`,
    [endpointId],
  );
}

/** Outbox events of the organization that occurred once the endpoint existed: each must become a message. */
export function eventsSince(database: FaultDatabase, orgId: string, endpointId: string): Promise<Array<{ id: string; type: string }>> {
  return database.query<{ id: string; type: string }>(
    `SELECT o.id, o.type FROM outbox_events o, webhook_endpoints e
     WHERE e.id = $2 AND o.org_id = $1 AND o.occurred_at >= e.created_at ORDER BY o.id`,
    [orgId, endpointId],
  );
}
