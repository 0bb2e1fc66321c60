import { Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { AppConfig } from '../../../config/app-config';
import { addressRefusal, checkWebhookUrl, type CheckedUrl, type TargetPolicy } from '../ssrf-guard';

export interface ResolvedTarget {
  url: URL;
  hostname: string;
  /** The checked address the request must connect to (never re-resolved). */
  address: string;
  family: 4 | 6;
}

/** A URL the SSRF policy refuses, or whose host cannot be resolved; `reason` is safe to show the client. */
export class TargetRefused extends Error {
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Applies ssrf-guard.ts with DNS: resolves the host and refuses it unless
 * *every* address it resolves to is permitted (one private answer among
 * public ones is how split-horizon and rebinding tricks start). The caller
 * then connects to the returned address, so a second, different DNS answer
 * between check and connect cannot redirect the request.
 */
@Injectable()
export class WebhookTargetResolver {
  readonly policy: TargetPolicy;

  constructor(config: AppConfig) {
    this.policy = { allowHttp: config.webhooksAllowHttp, allowPrivate: config.webhooksAllowPrivate };
  }

  check(raw: string): CheckedUrl {
    return checkWebhookUrl(raw, this.policy);
  }

  async resolve(raw: string, timeoutMs: number): Promise<ResolvedTarget> {
    const checked = this.check(raw);
    if (!checked.ok) throw new TargetRefused(checked.reason);
    const url = new URL(checked.href);
    if (checked.literalAddress) {
      return { url, hostname: checked.hostname, address: checked.literalAddress, family: checked.literalAddress.includes(':') ? 6 : 4 };
    }
    const answers = await withTimeout(lookup(checked.hostname, { all: true, order: 'verbatim' }), timeoutMs).catch((error: unknown) => {
      throw new TargetRefused(error instanceof TargetRefused ? error.reason : `host ${checked.hostname} does not resolve`);
    });
    if (answers.length === 0) throw new TargetRefused(`host ${checked.hostname} does not resolve`);
    for (const answer of answers) {
      const refusal = addressRefusal(answer.address, this.policy);
      if (refusal) throw new TargetRefused(`host ${checked.hostname} resolves to ${refusal}, which is not allowed`);
    }
    return { url, hostname: checked.hostname, address: answers[0].address, family: answers[0].family === 6 ? 6 : 4 };
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => reject(new TargetRefused('DNS lookup timed out')), ms);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}
