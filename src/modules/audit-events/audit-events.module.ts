import { Module } from '@nestjs/common';
import { AuditCheckpoints } from './audit-checkpoints';
import { AuditEventsController } from './audit-events.controller';

@Module({ controllers: [AuditEventsController], providers: [AuditCheckpoints] })
export class AuditEventsModule {}
