import { RequestTransactionModule } from '../../platform/request-transaction/request-transaction.module';
import { Module } from '@nestjs/common';
import { WebhookDeliveryModule } from './delivery/webhook-delivery.module';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsRepository } from './webhook-endpoints.repository';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookMessagesController } from './webhook-messages.controller';

/** Webhook endpoints and the delivery log (API guide: Webhooks), plus the in-process delivery workers. */
@Module({
  imports: [WebhookDeliveryModule.forRoot(), RequestTransactionModule],
  controllers: [WebhookEndpointsController, WebhookMessagesController],
  providers: [WebhookEndpointsRepository, WebhookEndpointsService],
})
export class WebhooksModule {}
