import { Injectable, Logger } from '@nestjs/common';
import { AppConfig } from '../../../config/app-config';
import { SecretBox } from '../../../platform/crypto/secret-box';
import { Metrics } from '../../../platform/metrics/metrics';
import { signingSecrets } from '../endpoint-secrets';
import { signStandardWebhook } from '../standard-webhooks';
import { AttemptRecorder } from './attempt-recorder';
import { AttemptOutcome, ClaimedMessage, DeliveryRepository, MessageUpdate } from './delivery.repository';
import { AttemptResult, decideOutcome } from './retry-policy';
import { SendResult, sendWebhook } from './webhook-sender';
import { TargetRefused, WebhookTargetResolver } from './webhook-target-resolver';

/** Messages claimed (and sent concurrently) by one `deliverBatch` call. */
export const DELIVERY_BATCH = 32;
/** Lease beyond the request deadline, for recording the outcome; a holder silent for longer is presumed dead. */
const LEASE_MARGIN_MS = 30_000;
const USER_AGENT = 'musicpub-webhooks/1.0';

/** A claimed message with the secrets it is signed with (or why they could not be opened). */
export interface PreparedMessage extends ClaimedMessage {
  secrets: string[] | Error;
}

/**
 * Deliveries: claim due messages (each claim is one attempt number under a
 * lease), send each outside any transaction, record each outcome (through
 * AttemptRecorder, which writes the outcomes finishing together in one
 * statement). Between claim and record no other worker can take the message,
 * so an attempt is sent once; if this process dies, the lease runs out and
 * the message is attempted again (at-least-once, with the same webhook-id).
 * DeliveryPump keeps a bounded number of these in flight.
 */
@Injectable()
export class DeliveryWorker {
  private readonly logger = new Logger('WebhookDelivery');

  constructor(
    private readonly config: AppConfig,
    private readonly repository: DeliveryRepository,
    private readonly recorder: AttemptRecorder,
    private readonly targets: WebhookTargetResolver,
    private readonly box: SecretBox,
    private readonly metrics: Metrics,
  ) {}

  get leaseMs(): number {
    return this.config.webhookTimeoutMs + LEASE_MARGIN_MS;
  }

  /** Claims and delivers one batch, waiting for every outcome to be recorded; returns how many messages it attempted (0 = nothing due). */
  async deliverBatch(limit = DELIVERY_BATCH): Promise<number> {
    const claimed = await this.claim(limit);
    await Promise.all(claimed.map((message) => this.deliver(message)));
    return claimed.length;
  }

  /**
   * Claims up to `limit` due messages, within the per-endpoint and
   * per-organization caps (WEBHOOK_ENDPOINT_CONCURRENCY, WEBHOOK_ORG_CONCURRENCY);
   * the caller must `deliver` each at once (the lease is running). An
   * endpoint's secrets are opened once per claim, not once per message.
   */
  async claim(limit: number): Promise<PreparedMessage[]> {
    const caps = { perEndpoint: this.config.webhookEndpointConcurrency, perOrg: this.config.webhookOrgConcurrency };
    const claimed = await this.repository.claimDueMessages(limit, this.leaseMs, caps);
    const now = new Date();
    const secrets = new Map<string, string[] | Error>();
    return claimed.map((message) => {
      const key = `${message.endpointId}|${message.secretSealed}|${message.previousSecretSealed ?? ''}`;
      let opened = secrets.get(key);
      if (!opened) {
        try {
          opened = signingSecrets(
            this.box,
            { id: message.endpointId, secretSealed: message.secretSealed, previousSecretSealed: message.previousSecretSealed, previousSecretExpiresAt: message.previousSecretExpiresAt },
            now,
          );
        } catch (error) {
          opened = error instanceof Error ? error : new Error(String(error));
        }
        secrets.set(key, opened);
      }
      return { ...message, secrets: opened };
    });
  }

  /** One attempt of a claimed message; resolves once its outcome is recorded. */
  async deliver(message: PreparedMessage): Promise<void> {
    await this.recorder.record(await this.attempt(message));
  }

  private async attempt(message: PreparedMessage): Promise<AttemptOutcome> {
    const attemptedAt = new Date();
    const started = performance.now();
    const timeoutMs = this.config.webhookTimeoutMs;
    let sent: SendResult | undefined;
    let failure: string | undefined;
    try {
      if (message.secrets instanceof Error) throw message.secrets;
      // Resolved and checked again on every attempt: the name may point elsewhere now.
      const target = await this.targets.resolve(message.url, timeoutMs);
      // Standard Webhooks: the timestamp is the attempt's, so a retry is not "stale".
      const timestamp = Math.floor(Date.now() / 1000);
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': USER_AGENT,
        'webhook-id': message.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': signStandardWebhook(message.secrets, message.id, timestamp, message.body),
      };
      const remaining = Math.max(100, timeoutMs - Math.round(performance.now() - started));
      sent = await sendWebhook(target, headers, message.body, remaining);
      // The deadline covers DNS too; report it as the one setting it comes from.
      failure = sent.error?.startsWith('timed out') ? `timed out after ${timeoutMs} ms` : sent.error;
    } catch (error) {
      if (error instanceof TargetRefused) {
        failure = `refused: ${error.reason}`;
      } else {
        this.logger.error({ err: error, messageId: message.id }, 'could not prepare a webhook delivery');
        failure = 'internal error before sending';
      }
    }

    const result: AttemptResult =
      sent?.statusCode !== undefined ? { kind: 'response', statusCode: sent.statusCode, retryAfter: sent.retryAfter } : { kind: 'error', error: failure ?? 'request failed' };
    const outcome = decideOutcome(result, message.attemptNumber, this.config.webhookRetryScheduleMs);
    this.metrics.webhookDelivery(outcome.kind);
    const update: MessageUpdate =
      outcome.kind === 'delivered' ? { status: 'delivered' } : outcome.kind === 'retry' ? { status: 'pending', delayMs: outcome.delayMs } : { status: 'failed' };
    const statusCode = sent?.statusCode ?? null;
    return {
      attempt: {
        messageId: message.id,
        endpointId: message.endpointId,
        attemptNumber: message.attemptNumber,
        attemptedAt,
        statusCode,
        durationMs: sent?.durationMs ?? Math.round(performance.now() - started),
        responseBodyExcerpt: sent?.bodyExcerpt ?? null,
        error: (failure ?? responseError(statusCode))?.slice(0, 500) ?? null,
      },
      update,
      disableEndpoint: outcome.kind === 'failed' && outcome.disableEndpoint,
    };
  }
}

/** The `error` of an attempt that got a response: only where the status alone does not say what happened. */
function responseError(statusCode: number | null): string | undefined {
  if (statusCode === null) return undefined;
  if (statusCode >= 300 && statusCode < 400) return 'redirect not followed: a 3xx answer counts as a failure';
  if (statusCode === 410) return 'the receiver answered 410 Gone: endpoint disabled';
  return undefined;
}
