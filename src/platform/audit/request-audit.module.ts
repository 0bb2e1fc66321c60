import { Module } from '@nestjs/common';
import { AnonymousRefusals } from './anonymous-refusals';
import { RequestAuditor } from './request-auditor';

/** How HTTP requests become audit events (the pipeline and the error filter); the API process only. */
@Module({ providers: [AnonymousRefusals, RequestAuditor], exports: [RequestAuditor] })
export class RequestAuditModule {}
