import { Injectable } from '@nestjs/common';
import type { KeyPolicy } from '../../generated/prisma/client';
import { Db } from '../../platform/database/db';
import { DEFAULT_EXPIRY_NOTICE_DAYS, KeyPolicyDto, KeyPolicyView } from './dto/key-policy.dto';

const DAY_MS = 86_400_000;

/** An organization's key rotation policy; no row means the defaults (no age limit, 14 days' notice). */
@Injectable()
export class KeyPolicyService {
  constructor(private readonly db: Db) {}

  async get(orgId: string): Promise<KeyPolicyView> {
    return present(await this.db.tx.keyPolicy.findUnique({ where: { orgId } }));
  }

  async put(orgId: string, dto: KeyPolicyDto): Promise<KeyPolicyView> {
    const values = { maxKeyAgeDays: dto.maxKeyAgeDays ?? null, expiryNoticeDays: dto.expiryNoticeDays ?? DEFAULT_EXPIRY_NOTICE_DAYS };
    const row = await this.db.withTransaction(() => this.db.tx.keyPolicy.upsert({ where: { orgId }, create: { orgId, ...values }, update: values }));
    return present(row);
  }

  /** The latest expiry a key issued now may have under the policy, or null without an age limit. */
  async latestExpiry(orgId: string, now = Date.now()): Promise<{ at: Date; days: number } | null> {
    const row = await this.db.tx.keyPolicy.findUnique({ where: { orgId } });
    return row?.maxKeyAgeDays ? { at: new Date(now + row.maxKeyAgeDays * DAY_MS), days: row.maxKeyAgeDays } : null;
  }
}

function present(row: KeyPolicy | null): KeyPolicyView {
  return {
    maxKeyAgeDays: row?.maxKeyAgeDays ?? null,
    expiryNoticeDays: row?.expiryNoticeDays ?? DEFAULT_EXPIRY_NOTICE_DAYS,
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}
