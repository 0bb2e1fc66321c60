import { Global, Module } from '@nestjs/common';
import { SecurityAlerts } from '../security-alerts/security-alerts';
import { AuditTrail } from './audit-trail';

/** The audit trail itself and the security alerts raised from it, for every process that records events (the API, the CLI). */
@Global()
@Module({ providers: [AuditTrail, SecurityAlerts], exports: [AuditTrail, SecurityAlerts] })
export class AuditModule {}
