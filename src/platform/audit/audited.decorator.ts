import { SetMetadata } from '@nestjs/common';

export const AUDITED = 'musicpub:audited';

export interface AuditedOptions {
  action?: string;
  resourceType?: string;
}

/** Names a route's audit action where the default (`<resource>.<handler>`) would mislead. */
export const Audited = (options: AuditedOptions): MethodDecorator => SetMetadata(AUDITED, options);
