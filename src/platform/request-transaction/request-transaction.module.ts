import { Module } from '@nestjs/common';
import { RequestAuditModule } from '../audit/request-audit.module';
import { RequestTransaction } from './request-transaction';

/** The unit of work of mutating HTTP requests (the API process only); imported by modules whose routes open it themselves. */
@Module({ imports: [RequestAuditModule], providers: [RequestTransaction], exports: [RequestTransaction, RequestAuditModule] })
export class RequestTransactionModule {}
