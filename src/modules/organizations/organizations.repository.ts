import { Injectable } from '@nestjs/common';
import type { Organization } from '../../generated/prisma/client';
import type { Tx } from '../../platform/database/prisma.service';
import { newId } from '../../platform/ids';

@Injectable()
export class OrganizationsRepository {
  create(tx: Tx, name: string): Promise<Organization> {
    return tx.organization.create({ data: { id: newId('org'), name } });
  }
}
