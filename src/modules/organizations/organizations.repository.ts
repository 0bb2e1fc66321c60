import { Injectable } from '@nestjs/common';
import type { Organization } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';
import { newId } from '../../platform/ids';

/** Organizations are created only from the CLI (API guide: API keys and rotation: no unauthenticated endpoint creates them). */
export const ORGANIZATION_NAME_MAX = 200;

@Injectable()
export class OrganizationsRepository {
  constructor(private readonly db: Db) {}

  create(name: string): Promise<Organization> {
    return this.db.tx.organization.create({ data: { id: newId('org'), name } });
  }
}
