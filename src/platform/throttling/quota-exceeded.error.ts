import { DomainError, problemType } from '../errors/domain-errors';
import { PolicyUsage, retryAfterSeconds } from './rate-limit-headers';

/**
 * 429 as problem+json. The `quota-exceeded` type and its `violated-policies`
 * member (the names of the policies that refused the request) are those
 * draft-ietf-httpapi-ratelimit-headers-11 defines; `Retry-After` (RFC 9110
 * §10.2.3) is never earlier than the end of the window that refused it.
 */
export class QuotaExceeded extends DomainError {
  constructor(readonly violated: readonly PolicyUsage[]) {
    const retryAfter = retryAfterSeconds(violated);
    const limits = violated.map((u) => `"${u.name}" (${u.quota} requests per ${u.windowSeconds} s)`).join(' and ');
    super(429, `The rate limit ${limits} is used up; retry in ${retryAfter} s.`, {
      type: problemType('quota-exceeded'),
      headers: { 'Retry-After': String(retryAfter) },
      extensions: { 'violated-policies': violated.map((u) => u.name) },
    });
  }
}
