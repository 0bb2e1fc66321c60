import { Global, Module } from '@nestjs/common';
import { RequestAuditModule } from '../audit/request-audit.module';
import { RequestTransaction } from './request-transaction';

/**
 * The unit of work of mutating HTTP requests (the API process only). Global
 * because RequestTransactionInterceptor is bound to the mutating handlers of
 * every feature module (pipeline/mutating-routes.ts), and Nest builds such an
 * interceptor inside each controller's own module.
 */
@Global()
@Module({ imports: [RequestAuditModule], providers: [RequestTransaction], exports: [RequestTransaction, RequestAuditModule] })
export class RequestTransactionModule {}
