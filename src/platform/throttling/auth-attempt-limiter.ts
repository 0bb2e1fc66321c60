import { ExecutionContext, Injectable } from '@nestjs/common';
import { AppConfig, RateLimit } from '../../config/app-config';
import { requestOf, responseOf } from '../http/http-context';
import { QuotaExceeded } from './quota-exceeded.error';
import { PolicyUsage, setRateLimitFields, usageOf, type WindowState } from './rate-limit-headers';
import { RateLimitStorage } from './rate-limit-storage';
import { clientTracker, counterKey } from './rate-limit-tracker';

/**
 * The `auth` budget as AuthGuard uses it (API guide: Rate limits: failed authentications
 * count against `auth` per client address, with the token endpoint's requests).
 *
 * Before any credential is looked at, an address whose budget is spent is
 * refused with 429, even if this time the credential is valid: otherwise a
 * stuffing run would keep its oracle (429 for wrong guesses, 200 for the right
 * one). A success does not reset the count, or a valid key of the attacker's
 * own could launder the failures. The cost: clients behind one address (NAT)
 * share the budget, and a client that keeps failing locks its address out
 * for the rest of the window, never longer. Checking and counting are two
 * steps, so a burst of concurrent failures can overshoot the limit by at most
 * the size of the burst, once.
 */
@Injectable()
export class AuthAttemptLimiter {
  private readonly policy: RateLimit & { name: 'auth' };

  constructor(
    config: AppConfig,
    private readonly storage: RateLimitStorage,
  ) {
    this.policy = { name: 'auth', ...config.throttleAuth };
  }

  /** Throws QuotaExceeded when the address has no attempt left; answers at once when the counters are in memory. */
  assertAttemptAllowed(context: ExecutionContext): void | Promise<void> {
    const state = this.storage.peek(this.keyFor(context), this.windowMs);
    if (state instanceof Promise) return state.then((shared) => this.refuseIfSpent(context, shared));
    this.refuseIfSpent(context, state);
  }

  /** Counts a failed authentication; the 401 then tells the client how many attempts are left. */
  async recordFailedAttempt(context: ExecutionContext): Promise<void> {
    const state = await this.storage.hit(this.keyFor(context), this.windowMs);
    this.report(context, usageOf(this.policy, state));
  }

  private refuseIfSpent(context: ExecutionContext, state: WindowState): void {
    if (state.count >= this.policy.limit) throw new QuotaExceeded([this.report(context, usageOf(this.policy, state, true))]);
  }

  private get windowMs(): number {
    return this.policy.windowSeconds * 1000;
  }

  private keyFor(context: ExecutionContext): string {
    return counterKey(this.policy.name, clientTracker(requestOf(context)));
  }

  private report(context: ExecutionContext, usage: PolicyUsage): PolicyUsage {
    setRateLimitFields(responseOf(context), [usage]);
    return usage;
  }
}
