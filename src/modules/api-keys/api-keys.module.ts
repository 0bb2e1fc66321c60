import { Module } from '@nestjs/common';
import { CREDENTIAL_AUTHENTICATOR } from '../../platform/auth/credential-authenticator';
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
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    ApiKeyAuthenticator,
    { provide: CREDENTIAL_AUTHENTICATOR, useExisting: ApiKeyAuthenticator },
    LastUsedTracker,
    OrganizationBootstrap,
  ],
  exports: [ApiKeyAuthenticator, CREDENTIAL_AUTHENTICATOR, ApiKeysService, OrganizationBootstrap],
})
export class ApiKeysModule {}
