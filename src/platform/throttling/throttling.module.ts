import { Global, Module } from '@nestjs/common';
import { ThrottlerModule } from '@nestjs/throttler';
import { AppConfig } from '../../config/app-config';
import { AuthAttemptLimiter } from './auth-attempt-limiter';
import { RateLimitStorage } from './rate-limit-storage';
import { RedisConnection } from './redis-connection';
import { throttlerOptions } from './throttler-options';

/**
 * Rate limits (API guide: Rate limits): @nestjs/throttler's named throttlers `default`,
 * `uploads` and `auth`, counted in Redis when REDIS_URL is set, else in memory.
 * RateLimitGuard is registered with the other global guards, in order, in
 * src/platform/pipeline/global-guards.ts.
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
  ],
  exports: [RedisConnection, RateLimitStorage, AuthAttemptLimiter],
})
export class ThrottlingModule {}
