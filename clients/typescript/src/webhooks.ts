import { Webhook, WebhookVerificationError } from 'standardwebhooks';

export { WebhookVerificationError };

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

/**
 * Verifies a webhook delivery (Standard Webhooks: HMAC-SHA256 over
 * `{webhook-id}.{webhook-timestamp}.{body}`, a timestamp within ±5 minutes)
 * and returns the parsed event; throws WebhookVerificationError otherwise.
 *
 * Pass the raw body exactly as received (a re-serialized JSON object does not
 * verify), the request headers, and the endpoint's secret (`whsec_…`), or both
 * secrets while one is being rotated.
 */
export function verifyWebhook<T = unknown>(body: string | Uint8Array, headers: WebhookHeaders, secret: string | readonly string[]): T {
  const wanted: Record<string, string> = {};
  const get = (name: string): string | undefined => {
    if (headers instanceof Headers) return headers.get(name) ?? undefined;
    const entry = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    return Array.isArray(entry) ? entry.join(' ') : entry;
  };
  for (const name of ['webhook-id', 'webhook-timestamp', 'webhook-signature']) {
    const value = get(name);
    if (value === undefined) throw new WebhookVerificationError(`Missing ${name} header`);
    wanted[name] = value;
  }
  const payload = typeof body === 'string' ? body : Buffer.from(body);
  let failure: unknown;
  for (const candidate of typeof secret === 'string' ? [secret] : secret) {
    try {
      return new Webhook(candidate).verify(payload, wanted) as T;
    } catch (error) {
      failure = error;
    }
  }
  throw failure ?? new WebhookVerificationError('No secret to verify with');
}
