import { Injectable } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { Db } from '../../platform/database/db';
import { BadRequest, DomainError, problemType } from '../../platform/errors/domain-errors';
import type { AuditBase } from '../api-keys/api-keys.service';
import { ApiKeysService } from '../api-keys/api-keys.service';
import { LeakFeedback, parseLeakReport, tokenHash, verifyLeakReportSignature } from './leak-report';

/** 401 for every unverifiable report; nothing in it depends on the tokens reported. */
export class LeakReportUnauthenticated extends DomainError {
  constructor(reason: string) {
    super(401, 'The report is not signed by a configured secret-scanning key (GITHUB-PUBLIC-KEY-IDENTIFIER, GITHUB-PUBLIC-KEY-SIGNATURE).', {
      type: problemType('invalid-signature'),
      extensions: { reason },
    });
  }
}

/**
 * Leaked-key reports (GitHub secret scanning partner program): the signature
 * is checked before the body is even parsed, so an unsigned or forged report
 * learns nothing and changes nothing; a signed one has every live key it
 * names revoked in this request's transaction.
 */
@Injectable()
export class CredentialLeaksService {
  constructor(
    private readonly config: AppConfig,
    private readonly db: Db,
    private readonly keys: ApiKeysService,
  ) {}

  async receive(
    headers: { keyIdentifier?: string; signature?: string },
    rawBody: Buffer | undefined,
    body: unknown,
    audit: Omit<AuditBase, 'actorType' | 'actorId'>,
  ): Promise<LeakFeedback[]> {
    const check = verifyLeakReportSignature(this.config.leakReportPublicKeys, headers.keyIdentifier, headers.signature, rawBody);
    if (!check.ok) throw new LeakReportUnauthenticated(check.reason);
    const report = parseLeakReport(body);
    if (!report.ok) throw new BadRequest('The report is invalid.', report.errors);

    // One token reported twice is one key, and one answer.
    const labels = new Map<string, boolean>();
    return this.db.withTransaction(async () => {
      const feedback: LeakFeedback[] = [];
      for (const leaked of report.tokens) {
        let ours = labels.get(leaked.token);
        if (ours === undefined) {
          ours = await this.keys.handleReportedLeak(leaked.token, leaked, audit);
          labels.set(leaked.token, ours);
        }
        feedback.push({ token_hash: tokenHash(leaked.token), token_type: leaked.type, label: ours ? 'true_positive' : 'false_positive' });
      }
      return feedback;
    });
  }
}
