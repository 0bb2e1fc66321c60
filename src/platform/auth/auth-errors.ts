import { DomainError, problemType } from '../errors/domain-errors';

/**
 * The key a refused credential belonged to, when it could be identified
 * (revoked, expired, used from a wrong address): the refusal is then audited
 * in that key's organization, visible to its owners. Never rendered.
 */
export interface AuthSubject {
  orgId: string;
  keyId: string;
  credential: 'api_key' | 'token';
}

/**
 * 401 with a WWW-Authenticate challenge (RFC 9110 §11.6.1) naming both
 * schemes this API accepts. `detail` says what was wrong without echoing the
 * credential.
 */
export class Unauthenticated extends DomainError {
  constructor(
    detail: string,
    readonly reason: string,
    readonly subject?: AuthSubject,
  ) {
    super(401, detail, {
      type: problemType('unauthenticated'),
      headers: { 'WWW-Authenticate': 'Bearer realm="musicpub", ApiKey realm="musicpub" header="X-API-Key"' },
      extensions: { reason },
    });
  }
}

/** 403 naming what is missing (API guide: Authentication); never used to hide other tenants' data (that is 404). */
export class Forbidden extends DomainError {
  constructor(
    detail: string,
    extensions: Record<string, unknown> = {},
    readonly subject?: AuthSubject,
  ) {
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
