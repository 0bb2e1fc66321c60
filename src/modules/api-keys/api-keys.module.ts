import { Module } from '@nestjs/common';
import { CREDENTIAL_AUTHENTICATOR } from '../../platform/auth/credential-authenticator';
import { OrganizationsModule } from '../organizations/organizations.module';
import { ApiKeyAuthenticator } from './api-key-authenticator';
import { ApiKeysController } from './api-keys.controller';
import { ApiKeysRepository } from './api-keys.repository';
import { ApiKeysService } from './api-keys.service';
import { KeyExpiryNotifier } from './key-expiry-notifier';
import { KeyPolicyController } from './key-policy.controller';
import { KeyPolicyService } from './key-policy.service';
import { LastUsedTracker } from './last-used-tracker';
import { OrganizationBootstrap } from './organization-bootstrap.service';

@Module({
  imports: [OrganizationsModule],
  controllers: [ApiKeysController, KeyPolicyController],
  providers: [
    ApiKeysRepository,
    ApiKeysService,
    ApiKeyAuthenticator,
    { provide: CREDENTIAL_AUTHENTICATOR, useExisting: ApiKeyAuthenticator },
    LastUsedTracker,
    OrganizationBootstrap,
    KeyPolicyService,
    KeyExpiryNotifier,
  ],
  exports: [ApiKeyAuthenticator, CREDENTIAL_AUTHENTICATOR, ApiKeysService, OrganizationBootstrap],
})
export class ApiKeysModule {}
