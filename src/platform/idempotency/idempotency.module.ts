import { Global, Module } from '@nestjs/common';
import { IdempotencyPurge } from './idempotency-purge';
import { IdempotencyStore } from './idempotency-store';

@Global()
@Module({ providers: [IdempotencyStore, IdempotencyPurge], exports: [IdempotencyStore] })
export class IdempotencyModule {}
