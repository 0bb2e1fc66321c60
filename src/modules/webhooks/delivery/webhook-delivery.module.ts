import { DynamicModule, Module } from '@nestjs/common';
import { AttemptRecorder } from './attempt-recorder';
import { DeliveryWorker } from './delivery-worker';
import { DeliveryRepository } from './delivery.repository';
import { OutboxDispatcher } from './outbox-dispatcher';
import { DELIVERY_OPTIONS, DeliveryOptions, WebhookWorkerRunner } from './webhook-worker-runner';
import { WebhookTargetResolver } from './webhook-target-resolver';

/**
 * Outbox fan-out and delivery workers, without HTTP routes: the API process
 * gets it through WebhooksModule, `npm run worker` (src/worker.ts) on its own.
 * PrismaService, AppConfig and SecretBox come from global modules.
 */
@Module({})
export class WebhookDeliveryModule {
  static forRoot(options: DeliveryOptions = {}): DynamicModule {
    return {
      module: WebhookDeliveryModule,
      providers: [
        { provide: DELIVERY_OPTIONS, useValue: options },
        DeliveryRepository,
        AttemptRecorder,
        OutboxDispatcher,
        DeliveryWorker,
        WebhookTargetResolver,
        WebhookWorkerRunner,
      ],
      exports: [WebhookTargetResolver, WebhookWorkerRunner],
    };
  }
}
