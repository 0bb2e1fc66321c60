import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC = 'musicpub:isPublic';

/**
 * The only way out of authentication: every route is authenticated unless it
 * says so here, where a reader of the route sees it.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC, true);
