import { SetMetadata } from '@nestjs/common';

export const PREPARES_OUTSIDE_TRANSACTION = 'musicpub:preparesOutsideTransaction';

/**
 * For a mutating route whose handler has slow work to do before it changes
 * anything — receiving a streamed upload, resolving a webhook URL in DNS —
 * which must not hold a pooled connection. The pipeline then opens no
 * transaction around the handler; the handler's service opens the request's
 * one itself with `RequestTransaction.commit(work)` once it is ready. The
 * claim, the change, the stored response and the audit event still commit
 * together, exactly as for every other route.
 */
export const PreparesOutsideTransaction = (): MethodDecorator => SetMetadata(PREPARES_OUTSIDE_TRANSACTION, true);
