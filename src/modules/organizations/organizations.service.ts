import { Injectable } from '@nestjs/common';
import type { Organization } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';
import { BadRequest } from '../../platform/errors/domain-errors';
import { OrganizationsRepository } from './organizations.repository';

export const ORGANIZATION_NAME_MAX = 200;

@Injectable()
export class OrganizationsService {
  constructor(
    private readonly db: Db,
    private readonly organizations: OrganizationsRepository,
  ) {}

  /** Organizations are created only from the CLI (API.md §2: no unauthenticated endpoint creates them). */
  async create(name: string): Promise<Organization> {
    const trimmed = name.trim();
    if (!trimmed || trimmed.length > ORGANIZATION_NAME_MAX) {
      throw new BadRequest(`The organization name must be 1–${ORGANIZATION_NAME_MAX} characters.`);
    }
    return this.db.withTransaction(() => this.organizations.create(trimmed));
  }
}
