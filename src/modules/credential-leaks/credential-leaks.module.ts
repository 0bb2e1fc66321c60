import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module';
import { CredentialLeaksController } from './credential-leaks.controller';
import { CredentialLeaksService } from './credential-leaks.service';

@Module({ imports: [ApiKeysModule], controllers: [CredentialLeaksController], providers: [CredentialLeaksService] })
export class CredentialLeaksModule {}
