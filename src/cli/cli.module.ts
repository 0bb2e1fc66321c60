import { DynamicModule, Module } from '@nestjs/common';
import { AppConfigModule } from '../config/app-config.module';
import { ApiKeysModule } from '../modules/api-keys/api-keys.module';
import { PartnersModule } from '../modules/partners/partners.module';
import { OutboxModule } from '../platform/outbox/outbox.module';
import { AuditModule } from '../platform/audit/audit.module';
import { CryptoModule } from '../platform/crypto/crypto.module';
import { DatabaseModule } from '../platform/database/database.module';

/** The modules operator commands need: no HTTP, no workers. */
@Module({})
export class CliModule {
  static forRoot(env: Record<string, string>): DynamicModule {
    return { module: CliModule, imports: [AppConfigModule.forRoot(env), DatabaseModule, OutboxModule, AuditModule, CryptoModule, ApiKeysModule, PartnersModule] };
  }
}
