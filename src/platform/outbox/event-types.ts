/** The event catalogue of API guide: Webhooks. */
export const EVENT_TYPES = [
  'release.created',
  'release.updated',
  'release.deleted',
  'release.status_changed',
  'track.created',
  'track.updated',
  'track.deleted',
  'upload.accepted',
  'upload.rejected',
  'api_key.created',
  'api_key.rotated',
  'api_key.revoked',
  'api_key.leaked',
  'api_key.expiring',
  'api_key.expired',
  'webhook.test',
  'webhook_endpoint.disabled',
  'webhook_message.failed',
  'security.alert',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (EVENT_TYPES as readonly string[]).includes(value);
}
