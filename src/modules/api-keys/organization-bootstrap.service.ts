import { Injectable } from '@nestjs/common';
import { AuditTrail } from '../../platform/audit/audit-trail';
import { Db } from '../../platform/database/db';
import { BadRequest } from '../../platform/errors/domain-errors';
import { ORGANIZATION_NAME_MAX, OrganizationsRepository } from '../organizations/organizations.repository';
import { ApiKeysService } from './api-keys.service';

/** `org:create`: an organization and its first key (every scope), in one transaction. */
@Injectable()
export class OrganizationBootstrap {
  constructor(
    private readonly db: Db,
    private readonly organizations: OrganizationsRepository,
    private readonly keys: ApiKeysService,
    private readonly audit: AuditTrail,
  ) {}

  async createOrganization(name: string): Promise<{ orgId: string; keyId: string; key: string }> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > ORGANIZATION_NAME_MAX) {
      throw new BadRequest(`The organization name must be 1–${ORGANIZATION_NAME_MAX} characters.`);
    }
    return this.db.withTransaction(async () => {
      const org = await this.organizations.create(trimmed);
      const key = await this.keys.issueInitialKey(org.id);
      // No request: the operator's CLI is the actor, recorded as `system`.
      await this.audit.append({
        orgId: org.id,
        actorType: 'system',
        actorId: 'cli',
        action: 'organization.create',
        resourceType: 'organization',
        resourceId: org.id,
        outcome: 'success',
        statusCode: 201,
        ip: null,
        userAgent: null,
        requestId: null,
        changes: { initialKeyId: key.id, scopes: key.scopes },
      });
      return { orgId: org.id, keyId: key.id, key: key.key };
    });
  }
}
