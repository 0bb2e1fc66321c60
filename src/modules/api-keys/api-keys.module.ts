import { Module } from '@nestjs/common';
import { OrganizationsModule } from '../organizations/organizations.module';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { LastUsedTracker } from './last-used-tracker';
import { OrganizationBootstrap } from './organization-bootstrap.service';

@Module({
  imports: [OrganizationsModule],
  controllers: [ApiKeysController],
  providers: [ApiKeysRepository, ApiKeysService, ApiKeyAuthenticator, LastUsedTracker, OrganizationBootstrap],
  exports: [ApiKeyAuthenticator, ApiKeysService, OrganizationBootstrap],
})
export class ApiKeysModule {}
