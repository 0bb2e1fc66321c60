import { Global, Module } from '@nestjs/common';
import { AnonymousRefusals } from './anonymous-refusals';
import { AuditTrail } from './audit-trail';
import { RequestAuditor } from './request-auditor';

@Global()
@Module({ providers: [AuditTrail, AnonymousRefusals, RequestAuditor], exports: [AuditTrail, RequestAuditor] })
export class AuditModule {}
