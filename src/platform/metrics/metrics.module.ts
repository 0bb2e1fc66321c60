import { Global, Module } from '@nestjs/common';
import { Metrics } from './metrics';

/** One Metrics per process: the API's and `npm run worker`'s delivery loops count into it. */
@Global()
@Module({ providers: [Metrics], exports: [Metrics] })
export class MetricsModule {}
