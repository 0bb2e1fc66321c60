import type { ThrottlerModuleOptions, ThrottlerOptions } from '@nestjs/throttler';
import type { Request } from 'express';
import type { AppConfig, RateLimit } from '../../config/app-config';
import type { RateLimitStorage } from './rate-limit-storage';
import { clientTracker, counterKey, requestTracker } from './rate-limit-tracker';
import { PolicyName, routeOptsInto } from './throttle.decorators';

function policy(name: PolicyName, limit: RateLimit): ThrottlerOptions {
  // @nestjs/throttler counts ttl in milliseconds.
  return { name, limit: limit.limit, ttl: limit.windowSeconds * 1000 };
}

/** The three named throttlers of API guide: Rate limits, from THROTTLE_DEFAULT/UPLOADS/AUTH. */
export function throttlerOptions(config: AppConfig, storage: RateLimitStorage): ThrottlerModuleOptions {
  return {
    storage,
    // RateLimitGuard writes the fields itself: IETF draft fields plus the
    // legacy ones unsuffixed (the library would suffix them per throttler).
    setHeaders: false,
    getTracker: (req) => requestTracker(req as Request),
    generateKey: (_context, tracker, name) => counterKey(name, tracker),
    throttlers: [
      policy('default', config.throttleDefault),
      { ...policy('uploads', config.throttleUploads), skipIf: (context) => !routeOptsInto(context, 'uploads') },
      {
        ...policy('auth', config.throttleAuth),
        skipIf: (context) => !routeOptsInto(context, 'auth'),
        // Credential checks are limited per address, whoever they claim to be.
        getTracker: (req) => clientTracker(req as Request),
      },
    ],
  };
}
