import { Injectable, Logger, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import { AppConfig, ConfigError } from '../../config/app-config';

const CONNECT_TIMEOUT_MS = 200;
/** How long boot waits for the first connection before serving without it. */
const BOOT_WAIT_MS = 500;

/**
 * The one Redis client (REDIS_URL), or none. Configured never to make a
 * request wait on Redis: no offline queue (a command while disconnected fails
 * at once instead of queueing), one retry per command, short connect and
 * command timeouts. It keeps reconnecting in the background (backoff capped
 * at 2 s), and a Redis that is down at boot does not stop the boot.
 * REDIS_URL's query string may carry ioredis options, e.g. `?keyPrefix=staging:`
 * to share one Redis between deployments.
 */
@Injectable()
export class RedisConnection implements OnModuleInit, OnApplicationShutdown {
  readonly client: Redis | undefined;
  private readonly logger = new Logger('Redis');
  private lastErrorLoggedAt = 0;

  constructor(config: AppConfig) {
    if (!config.redisUrl) return;
    if (!/^rediss?:\/\//i.test(config.redisUrl)) throw new ConfigError('REDIS_URL must be a redis:// or rediss:// URL');
    this.client = new Redis(config.redisUrl, {
      connectionName: 'musicpub',
      connectTimeout: CONNECT_TIMEOUT_MS,
      // How long disconnect() leaves a socket to close before destroying it (its timer holds shutdown).
      disconnectTimeout: CONNECT_TIMEOUT_MS,
      // A command that has not answered within this is failed (the caller then falls back).
      commandTimeout: config.redisCommandTimeoutMs,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: false,
      retryStrategy: (attempt) => Math.min(attempt * 100, 2000),
    });
    // Without a listener ioredis prints every reconnect failure; log one a minute.
    this.client.on('error', (error: Error) => {
      if (Date.now() - this.lastErrorLoggedAt < 60_000) return;
      this.lastErrorLoggedAt = Date.now();
      this.logger.warn(`Redis connection error: ${error.message}`);
    });
  }

  get configured(): boolean {
    return this.client !== undefined;
  }

  async onModuleInit(): Promise<void> {
    const client = this.client;
    if (!client || !['wait', 'connecting', 'connect'].includes(client.status)) return;
    await new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        client.off('ready', done).off('error', done);
        resolve();
      };
      const timer = setTimeout(done, BOOT_WAIT_MS);
      client.once('ready', done).once('error', done);
    });
  }

  /** Resolves when Redis answers PING; rejects (fast) otherwise. */
  async ping(): Promise<void> {
    if (!this.client) throw new Error('Redis is not configured');
    await this.client.ping();
  }

  onApplicationShutdown(): void {
    // disconnect(), not quit(): quit waits for a reply a dead server never sends.
    this.client?.disconnect();
  }
}
