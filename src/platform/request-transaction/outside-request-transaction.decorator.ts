import { SetMetadata } from '@nestjs/common';

export const OUTSIDE_REQUEST_TRANSACTION = 'musicpub:outsideRequestTransaction';

/**
 * For a mutating route that must not run inside one request-wide transaction,
 * e.g. a streamed upload (a transaction must not stay open while a client
 * sends gigabytes). Its service opens its own transaction; the audit event is
 * then written right after, and Idempotency-Key handling is the route's own.
 */
export const OutsideRequestTransaction = (): MethodDecorator => SetMetadata(OUTSIDE_REQUEST_TRANSACTION, true);
