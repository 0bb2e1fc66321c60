import { Injectable } from '@nestjs/common';
import { ChainPosition } from '../../platform/audit/audit-chain';
import { AuditTrail } from '../../platform/audit/audit-trail';
import { TokenSigner } from '../../platform/auth/token-signer';
import { BadRequest, Conflict, problemType } from '../../platform/errors/domain-errors';

/** The JWS `typ` of a checkpoint: neither an access token nor anything else this server signs. */
export const CHECKPOINT_TYP = 'audit-checkpoint+jwt';

/** A signed statement that an organization's audit chain held `hash` at `seq` when it was issued. */
export interface Checkpoint {
  orgId: string;
  /** Decimal string: seq is a BIGINT. */
  seq: string;
  hash: string;
  issuedAt: string;
  /** Compact JWS (ES256, the JWT key pair) over { orgId, seq, hash, issuedAt, iss }; the JWKS verifies it. */
  signature: string;
}

/**
 * Checkpoints make the head of a chain verifiable from outside the database.
 * Whoever keeps one can later present it to verify: deleted newest events
 * (the remaining chain still links up) show as `truncated`, a rewritten chain
 * as `different`. Signed with the access-token key pair, so a client can also
 * check one offline against the published JWKS.
 */
@Injectable()
export class AuditCheckpoints {
  constructor(
    private readonly trail: AuditTrail,
    private readonly signer: TokenSigner,
  ) {}

  /** A checkpoint of the organization's newest event, once that event's own hash verifies. */
  async issue(orgId: string): Promise<Checkpoint> {
    const head = await this.trail.verifiedHead(orgId);
    if (!head) {
      throw new Conflict('The newest audit event does not verify, so no checkpoint is issued; GET /v1/audit-events/verify finds where the chain breaks.', {
        type: problemType('audit-chain-broken'),
      });
    }
    return this.sign(orgId, head);
  }

  sign(orgId: string, head: ChainPosition): Checkpoint {
    const statement = { orgId, seq: head.seq.toString(), hash: head.hash, issuedAt: new Date().toISOString() };
    return { ...statement, signature: this.signer.signStatement(statement, CHECKPOINT_TYP) };
  }

  /**
   * The position a checkpoint vouches for, if it is one this server signed
   * for this organization (a checkpoint of another organization is refused
   * the same way as a forged one).
   */
  open(jws: string, orgId: string): ChainPosition & { issuedAt: string } {
    const claims = this.signer.verifyStatement(jws, CHECKPOINT_TYP);
    const valid =
      claims !== undefined &&
      claims.orgId === orgId &&
      typeof claims.seq === 'string' &&
      /^\d{1,19}$/.test(claims.seq) &&
      typeof claims.hash === 'string' &&
      /^[0-9a-f]{64}$/.test(claims.hash) &&
      typeof claims.issuedAt === 'string';
    if (!valid) {
      throw new BadRequest('The checkpoint is not one this server signed for your organization.', [
        { field: 'checkpoint', message: 'checkpoint must be the signature of a checkpoint issued to this organization, as returned' },
      ]);
    }
    return { seq: BigInt(claims.seq as string), hash: claims.hash as string, issuedAt: claims.issuedAt as string };
  }
}
