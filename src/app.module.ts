import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import type { DestinationStream } from 'pino';
import { AppConfigModule } from './config/app-config.module';
import { ApiKeysModule } from './modules/api-keys/api-keys.module';
import { OAuthModule } from './modules/oauth/oauth.module';
import { ReleasesModule } from './modules/releases/releases.module';
import { PartnersModule } from './modules/partners/partners.module';
import { CredentialLeaksModule } from './modules/credential-leaks/credential-leaks.module';
import { WebhooksModule } from './modules/webhooks/webhooks.module';
import { UploadsModule } from './modules/uploads/uploads.module';
import { AuditEventsModule } from './modules/audit-events/audit-events.module';
import { AuditModule } from './platform/audit/audit.module';
import { AuthModule } from './platform/auth/auth.module';
import { CryptoModule } from './platform/crypto/crypto.module';
import { DatabaseModule } from './platform/database/database.module';
import { HealthModule } from './platform/health/health.module';
import { LoggingModule } from './platform/logging/logging.module';
import { MetricsModule } from './platform/metrics/metrics.module';
import { IdempotencyModule } from './platform/idempotency/idempotency.module';
import { OutboxModule } from './platform/outbox/outbox.module';
import { RequestTransactionModule } from './platform/request-transaction/request-transaction.module';
import { ThrottlingModule } from './platform/throttling/throttling.module';
import { GLOBAL_GUARDS, PIPELINE_REFLECTOR } from './platform/pipeline/global-guards';
import { bindRequestTransaction } from './platform/pipeline/mutating-routes';
import { bindInputValidation } from './platform/pipeline/validated-inputs';

export interface AppModuleOptions {
  /** Settings layered over process.env (tests build apps side by side this way). */
  env?: Record<string, string | undefined>;
  /** Where logs go; stdout when absent. */
  logDestination?: DestinationStream;
}

@Module({})
export class AppModule {
  static forRoot(options: AppModuleOptions = {}): DynamicModule {
    const imports = [
      AppConfigModule.forRoot(options.env),
      ScheduleModule.forRoot(),
      LoggingModule.forRoot(options.logDestination),
      DatabaseModule,
      MetricsModule,
      OutboxModule,
      CryptoModule,
      AuditModule,
      RequestTransactionModule,
      IdempotencyModule,
      AuthModule.forRoot(ApiKeysModule),
      ThrottlingModule,
      HealthModule,
      ApiKeysModule,
      OAuthModule,
      AuditEventsModule,
      ReleasesModule,
      UploadsModule,
      WebhooksModule,
      PartnersModule,
      CredentialLeaksModule,
    ];
    // The guards run on every route; the request transaction only on mutating ones, DTO validation only on
    // bodies and query strings (mutating-routes.ts and validated-inputs.ts say why).
    bindRequestTransaction(imports);
    bindInputValidation(imports);
    return { module: AppModule, imports, providers: [PIPELINE_REFLECTOR, ...GLOBAL_GUARDS] };
  }
}
