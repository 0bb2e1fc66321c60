import { DomainError, problemType } from '../http/problem-details';

/**
 * 401 with a WWW-Authenticate challenge (RFC 9110 §11.6.1) naming both
 * schemes this API accepts. `detail` says what was wrong without echoing the
 * credential.
 */
export class Unauthenticated extends DomainError {
  constructor(detail: string, readonly reason: string) {
    super(401, detail, {
      type: problemType('unauthenticated'),
      headers: { 'WWW-Authenticate': 'Bearer realm="musicpub", ApiKey realm="musicpub" header="X-API-Key"' },
      extensions: { reason },
    });
  }
}

/** 403 naming what is missing (API.md §1); never used to hide other tenants' data (that is 404). */
export class Forbidden extends DomainError {
  constructor(detail: string, extensions: Record<string, unknown> = {}) {
    super(403, detail, { type: problemType('forbidden'), extensions });
  }
}

export class InsufficientScope extends Forbidden {
  constructor(readonly missing: string[]) {
    super(`This credential lacks the required scope${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}.`, {
      missingScopes: missing,
    });
  }
}
