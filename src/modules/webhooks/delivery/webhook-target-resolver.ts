import { Injectable } from '@nestjs/common';
import { lookup } from 'node:dns/promises';
import { AppConfig } from '../../../config/app-config';
import { addressHint, addressRefusal, checkWebhookUrl, type CheckedUrl, type TargetPolicy } from '../ssrf-guard';

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

type LookupAnswer = { address: string; family: number };

/** How long a host's answers are reused (they are re-checked against the policy on every use, and the cache never outlives this). */
export const DNS_CACHE_TTL_MS = 10_000;
const DNS_CACHE_MAX_HOSTS = 1000;

/**
 * Applies ssrf-guard.ts with DNS: resolves the host and refuses it unless
 * *every* address it resolves to is permitted (one private answer among
 * public ones is how split-horizon and rebinding tricks start). The caller
 * then connects to the returned address, so a second, different DNS answer
 * between check and connect cannot redirect the request.
 *
 * A host's answers are kept for DNS_CACHE_TTL_MS, so a burst of deliveries to
 * one endpoint costs one lookup (concurrent lookups of a host share one
 * query), not one per attempt. Only successful lookups are kept, and every
 * use re-applies the policy to them: the cache can save a query, never a
 * check. A name re-pointed elsewhere is seen within the TTL, as with any
 * resolver that honours a short record TTL.
 */
@Injectable()
export class WebhookTargetResolver {
  readonly policy: TargetPolicy;
  private readonly answers = new Map<string, { expiresAt: number; answers: Promise<LookupAnswer[]> }>();

  constructor(config: AppConfig) {
    this.policy = { allowHttp: config.webhooksAllowHttp, allowPrivate: config.webhooksAllowPrivate, explainSettings: !config.isProduction };
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
    const answers = await withTimeout(this.lookup(checked.hostname), timeoutMs).catch((error: unknown) => {
      throw new TargetRefused(error instanceof TargetRefused ? error.reason : `host ${checked.hostname} does not resolve`);
    });
    if (answers.length === 0) throw new TargetRefused(`host ${checked.hostname} does not resolve`);
    for (const answer of answers) {
      const refusal = addressRefusal(answer.address, this.policy);
      if (refusal) throw new TargetRefused(`host ${checked.hostname} resolves to ${refusal}, which is not allowed${addressHint(answer.address, this.policy)}`);
    }
    return { url, hostname: checked.hostname, address: answers[0].address, family: answers[0].family === 6 ? 6 : 4 };
  }

  /** The host's addresses, from the cache while fresh; a failed lookup is forgotten at once. */
  private lookup(hostname: string): Promise<LookupAnswer[]> {
    const now = Date.now();
    const cached = this.answers.get(hostname);
    if (cached && cached.expiresAt > now) return cached.answers;
    if (cached) this.answers.delete(hostname);
    const answers = lookup(hostname, { all: true, order: 'verbatim' });
    const entry = { expiresAt: now + DNS_CACHE_TTL_MS, answers };
    if (this.answers.size >= DNS_CACHE_MAX_HOSTS) {
      for (const [host, old] of this.answers) if (old.expiresAt <= now || this.answers.size >= DNS_CACHE_MAX_HOSTS) this.answers.delete(host);
    }
    this.answers.set(hostname, entry);
    answers.catch(() => {
      if (this.answers.get(hostname) === entry) this.answers.delete(hostname);
    });
    return answers;
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
