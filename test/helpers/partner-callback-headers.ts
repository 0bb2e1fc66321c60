import { Webhook } from 'standardwebhooks';

/**
 * The Standard Webhooks headers a partner sends with a callback, signed with
 * `secret` by the `standardwebhooks` package (not by our code). The timestamp
 * sent and the one signed come from one clock reading: read twice, a second
 * turning between the two readings makes a valid callback fail its signature
 * (a flaky 401 where a test expects its own status).
 */
export function partnerCallbackHeaders(secret: string, id: string, body: string, at = new Date()): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': new Webhook(secret).sign(id, at, body),
  };
}
