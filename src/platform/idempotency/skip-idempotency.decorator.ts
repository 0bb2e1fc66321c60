import { SetMetadata } from '@nestjs/common';

export const SKIP_IDEMPOTENCY = 'musicpub:skipIdempotency';

/** For a POST/PATCH that is naturally idempotent: Idempotency-Key is then ignored. */
export const SkipIdempotency = (): MethodDecorator => SetMetadata(SKIP_IDEMPOTENCY, true);
