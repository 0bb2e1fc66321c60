export { createMusicpubClient, MusicpubClient, type ApiMethod, type FetchLike, type MusicpubClientOptions, type RetryEvent } from './client';
export { ProblemError, type Problem } from './problem';
export { Secret } from './secret';
export type { RetryOptions } from './backoff';
export type { SigningOptions } from './signing';
export { verifyWebhook, WebhookVerificationError, type WebhookHeaders } from './webhooks';
export type { components, operations, paths } from './api-types';
