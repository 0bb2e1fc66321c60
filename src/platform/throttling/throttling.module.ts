import { Global, Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { AuthAttemptLimiter } from './auth-attempt-limiter';
import { RateLimitGuard } from './rate-limit.guard';
import { RateLimitStorage } from './rate-limit-storage';
import { RedisConnection } from './redis-connection';
import { throttlerOptions } from './throttler-options';

/**
 * Rate limits (API.md §8): @nestjs/throttler's named throttlers `default`,
 * `uploads` and `auth`, counted in Redis when REDIS_URL is set, else in memory.
 *
 * Global guards run in the order their modules are scanned, so AppModule must
 * import this module after AuthModule: RateLimitGuard then runs after
 * AuthGuard and ScopesGuard and knows which key to count against.
 * Global so AuthGuard can reach AuthAttemptLimiter and the health check the
 * Redis connection.
 */
@Global()
@Module({
  imports: [
    ThrottlerModule.forRootAsync({
      inject: [AppConfig, RateLimitStorage],
      useFactory: throttlerOptions,
    }),
  ],
  providers: [
    RedisConnection,
    RateLimitStorage,
    AuthAttemptLimiter,
    { provide: APP_GUARD, useClass: RateLimitGuard },
  ],
  exports: [RedisConnection, RateLimitStorage, AuthAttemptLimiter],
})
export class ThrottlingModule {}
