import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from './config/app-config.module';
import { WebhookDeliveryModule } from './modules/webhooks/delivery/webhook-delivery.module';
import { CryptoModule } from './platform/crypto/crypto.module';
import { DatabaseModule } from './platform/database/database.module';
import { LoggingModule } from './platform/logging/logging.module';
import { MetricsModule } from './platform/metrics/metrics.module';

/** What `npm run worker` needs: configuration, logs, the database, secrets and the delivery loops; no HTTP. */
@Module({})
export class WorkerModule {
  static forRoot(env: Record<string, string | undefined>): DynamicModule {
    return {
      module: WorkerModule,
      imports: [
        AppConfigModule.forRoot(env),
        LoggingModule.forRoot(),
        DatabaseModule,
        MetricsModule,
        CryptoModule,
        // A worker process exists to deliver: at least one loop even when a
        // shared .env sets WEBHOOK_WORKERS=0 for the API processes.
        WebhookDeliveryModule.forRoot({ minimumLoops: 1 }),
      ],
    };
  }
}
